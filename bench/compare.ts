/** Alternating-round timing of a floor and a subject, for the bench scenarios. */

/**
 * Median nanoseconds per operation of `floor` and `subject`, measured in alternating rounds of
 * `iterations` so that drift in the machine's speed affects both alike.
 */
export async function compare(
  iterations: number,
  floor: () => unknown,
  subject: () => unknown,
  rounds = 7,
): Promise<{ floorNs: number; subjectNs: number }> {
  const run = async (operation: () => unknown) => {
    const start = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) await operation();
    return Number(process.hrtime.bigint() - start) / iterations;
  };
  await run(floor);
  await run(subject);
  const floors: number[] = [];
  const subjects: number[] = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await run(floor));
    subjects.push(await run(subject));
  }
  const median = (samples: number[]) =>
    samples.sort((x, y) => x - y)[Math.floor(samples.length / 2)] as number;
  return { floorNs: median(floors), subjectNs: median(subjects) };
}

/**
 * Median over rounds of ns per call of `floor` and `subject`, the round chosen by its ratio.
 * Within a round the two alternate call by call, so a change in the machine's load hits both
 * alike: for calls that wait on a server, where a round of one then a round of the other would
 * see different loads.
 */
export async function alternate(
  floor: () => Promise<unknown>,
  subject: () => Promise<unknown>,
  iterations: number,
  rounds = 7,
): Promise<{ floorNs: number; subjectNs: number }> {
  const time = async (operation: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await operation();
    return Number(process.hrtime.bigint() - start);
  };
  for (let index = 0; index < iterations; index++) {
    await floor();
    await subject();
  }
  const results: Array<{ floorNs: number; subjectNs: number }> = [];
  for (let round = 0; round < rounds; round++) {
    let floorNs = 0;
    let subjectNs = 0;
    for (let index = 0; index < iterations; index++) {
      floorNs += await time(floor);
      subjectNs += await time(subject);
    }
    results.push({ floorNs: floorNs / iterations, subjectNs: subjectNs / iterations });
  }
  results.sort((x, y) => x.subjectNs / x.floorNs - y.subjectNs / y.floorNs);
  return results[Math.floor(results.length / 2)] as { floorNs: number; subjectNs: number };
}
