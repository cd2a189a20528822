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
 * see different loads. Which of the two goes first swaps every pair (ABBA): the call that goes
 * second may pay for what the first left behind (the in-process server finishing its response,
 * timers, a collection), and with a fixed order that would fall on the subject only.
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
      if (index % 2 === 0) {
        floorNs += await time(floor);
        subjectNs += await time(subject);
      } else {
        subjectNs += await time(subject);
        floorNs += await time(floor);
      }
    }
    results.push({ floorNs: floorNs / iterations, subjectNs: subjectNs / iterations });
  }
  results.sort((x, y) => x.subjectNs / x.floorNs - y.subjectNs / y.floorNs);
  return results[Math.floor(results.length / 2)] as { floorNs: number; subjectNs: number };
}

/** Per-call times of two operations measured in pairs (`timePairs`). */
export interface PairedTimes {
  /** ns of each floor call; entry i belongs to the same pair as `subjectNs[i]`. */
  readonly floorNs: Float64Array;
  /** ns of each subject call. */
  readonly subjectNs: Float64Array;
}

/** How long `timePairs` warms up and measures. */
export interface PairedTiming {
  /** Pairs run unmeasured first (JIT, connection pools), in ms. @default 1000 */
  readonly warmUpMs?: number;
  /** Time spent measuring pairs, in ms: the number of pairs follows from the calls' speed. @default 4000 */
  readonly measureMs?: number;
}

/**
 * Times `floor` and `subject` call by call in pairs, for calls that wait on a server: each pair
 * runs both back to back (floor first in even pairs, subject first in odd ones, so neither always
 * follows the other), so a change in the machine's load within a fraction of a millisecond falls
 * on both calls of a pair alike.
 */
export async function timePairs(
  floor: () => Promise<unknown>,
  subject: () => Promise<unknown>,
  { warmUpMs = 1000, measureMs = 4000 }: PairedTiming = {},
): Promise<PairedTimes> {
  const time = async (operation: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await operation();
    return Number(process.hrtime.bigint() - start);
  };
  const warmUpEnd = performance.now() + warmUpMs;
  while (performance.now() < warmUpEnd) {
    await floor();
    await subject();
  }
  const floorNs: number[] = [];
  const subjectNs: number[] = [];
  const end = performance.now() + measureMs;
  for (let pair = 0; performance.now() < end; pair++) {
    if (pair % 2 === 0) {
      floorNs.push(await time(floor));
      subjectNs.push(await time(subject));
    } else {
      subjectNs.push(await time(subject));
      floorNs.push(await time(floor));
    }
  }
  return { floorNs: Float64Array.from(floorNs), subjectNs: Float64Array.from(subjectNs) };
}

/**
 * The subject's cost relative to the floor from paired times: the median over pairs of subject
 * time / floor time. Both calls of a pair meet the same moment's load, and the median ignores the
 * pairs that a burst of load from elsewhere hit, where a mean (or a ratio of summed times) moves
 * with every such burst. It is the cost of a typical call: a GC pause that the subject's
 * allocations cause now and then is not in it. `quarters` are the lowest and highest of the same
 * median taken over each quarter of the run: how far the figure moved while it was measured.
 */
export function pairRatio({ floorNs, subjectNs }: PairedTimes): {
  ratio: number;
  quarters: [number, number];
} {
  const ratios = subjectNs.map((subject, index) => subject / (floorNs[index] as number));
  const quarter = Math.floor(ratios.length / 4);
  if (quarter === 0) throw new Error("Too few pairs to judge: measure for longer.");
  const quarterMedians = [0, 1, 2, 3].map((index) =>
    median(ratios.subarray(index * quarter, (index + 1) * quarter)),
  );
  return { ratio: median(ratios), quarters: [Math.min(...quarterMedians), Math.max(...quarterMedians)] };
}

/** The median of `samples`. */
export function median(samples: Float64Array): number {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}
