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
