/**
 * Timing of a floor and a subject for the bench scenarios: in alternating rounds (`compare`), or
 * call by call in pairs (`timePairs`, `pairRatio`, `pairedMeasurement`) for calls that wait on a
 * server.
 */
import { type Measurement, measurement, roundTo } from "./verdict.js";

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

/** Per-call times of two operations measured in pairs (`timePairs`). */
export interface PairedTimes {
  /** ns of each floor call; entry i belongs to the same pair as `subjectNs[i]`. */
  readonly floorNs: Float64Array;
  /** ns of each subject call. */
  readonly subjectNs: Float64Array;
}

/** Unmeasured pairs first, by default (JIT, connection pools), in ms. */
const DEFAULT_WARM_UP_MS = 1000;

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
  { warmUpMs = DEFAULT_WARM_UP_MS, measureMs = 4000 }: PairedTiming = {},
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

/**
 * The A/A check of the paired method (`CREDKIT_BENCH_SAME_CALL=1`): the subject is the floor call
 * itself, and every paired ratio should read 1.00.
 */
export const SAME_CALL = process.env.CREDKIT_BENCH_SAME_CALL === "1";

/** What `pairedMeasurement` compares, and how it names the figures. */
export interface PairedComparison {
  /** The measurement's name: subject / floor, and the conditions. */
  readonly name: string;
  /** The name in the A/A check (floor / floor). */
  readonly sameCallName: string;
  /** The ratio's bound. */
  readonly atMost: number;
  readonly floor: () => Promise<unknown>;
  readonly subject: () => Promise<unknown>;
  /** The detail naming the floor's median µs, e.g. `bareReadUs`. */
  readonly floorUs: string;
  /** The detail naming the subject's median µs, e.g. `getCredentialsUs` (`sameCallUs` in the A/A check). */
  readonly subjectUs: string;
  readonly timing?: PairedTiming;
}

/**
 * The subject's cost relative to the floor, timed in pairs (`timePairs`, `pairRatio`): the ratio,
 * each call's median µs, the number of pairs and the quarters' range. With `SAME_CALL` the
 * subject is the floor itself.
 */
export async function pairedMeasurement(comparison: PairedComparison): Promise<Measurement> {
  const { floor } = comparison;
  const times = await timePairs(floor, SAME_CALL ? floor : comparison.subject, comparison.timing);
  const { ratio, quarters } = pairRatio(times);
  return measurement(
    SAME_CALL ? comparison.sameCallName : comparison.name,
    ratio,
    "×",
    { atMost: comparison.atMost },
    {
      [comparison.floorUs]: roundTo(median(times.floorNs) / 1000),
      [SAME_CALL ? "sameCallUs" : comparison.subjectUs]: roundTo(median(times.subjectNs) / 1000),
      pairs: times.floorNs.length,
      warmUpMs: comparison.timing?.warmUpMs ?? DEFAULT_WARM_UP_MS,
      quarterRatios: quarters.map((value) => roundTo(value)).join("–"),
    },
  );
}
