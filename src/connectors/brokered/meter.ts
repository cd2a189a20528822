/**
 * Usage metering with hard budgets. Before a call is sent, the meter reserves its most possible
 * usage (input bound + most output tokens, priced through the operator's table) against every
 * budget that applies; a reservation that would cross a limit fails with `BudgetExceededError`
 * and the call is not sent. When the response arrives the reservation is settled with the usage
 * the provider reported, and one record goes to the store. The check and the reservation happen
 * in one synchronous step, so concurrent callers in this process cannot overshoot together.
 */
import { BudgetExceededError, ConfigurationError } from "../../core/errors.js";
import type { KeySource } from "./key-policy.js";
import type { CallUsage, RequestBounds } from "./usage.js";
import {
  MemoryUsageStore,
  type UsageQuery,
  type UsageRecord,
  type UsageStore,
  type UsageTotals,
} from "./usage-store.js";

/** Prices of one model, in the operator's unit of money. */
export interface Price {
  /** Per million input tokens. @default 0 */
  readonly inputPerMillion?: number;
  /** Per million output tokens. @default 0 */
  readonly outputPerMillion?: number;
  /** Per credit (Firecrawl). @default 0 */
  readonly perCredit?: number;
}

/** provider → model id (or `*` for any other model) → price. */
export type PriceTable = Readonly<Record<string, Readonly<Record<string, Price>>>>;

/** A hard limit on usage. Scope fields narrow it; a budget without any applies to every call. */
export interface Budget {
  /** Shown in `BudgetExceededError.budget`. */
  readonly name: string;
  readonly tenantId?: string;
  readonly connectionId?: string;
  readonly provider?: string;
  /** The window usage is summed over, in UTC. @default "month" */
  readonly period?: "day" | "month" | "all";
  /** Most input + output tokens in the period. */
  readonly maxTokens?: number;
  /** Most money in the period, priced through `prices`. */
  readonly maxCost?: number;
}

/** Options of `createUsageMeter`. */
export interface UsageMeterOptions {
  /** Where records go and totals come from. @default a new `MemoryUsageStore` */
  readonly store?: UsageStore;
  /** The operator's prices; calls to models without a price cost 0 (a `maxCost` budget then refuses them). */
  readonly prices?: PriceTable;
  /** Hard budgets. */
  readonly budgets?: readonly Budget[];
  /** Output tokens reserved for a request that states no limit. @default 4096 */
  readonly defaultMaxOutputTokens?: number;
  /** Epoch milliseconds now. @default Date.now */
  readonly now?: () => number;
}

/** Who is calling, for records and budget scopes. */
export interface MeteredCall {
  readonly tenantId: string;
  readonly connectionId: string;
  readonly provider: string;
  readonly keySource: KeySource;
}

/** A reservation made before a call: settle it with the reported usage, or release it. */
export interface Reservation {
  /** Records the call (`usage` undefined: not reported, the reservation is charged) and frees the hold. */
  settle(usage: CallUsage | undefined): Promise<UsageRecord>;
  /** Frees the hold without recording (the call was not made). */
  release(): void;
}

interface BudgetState {
  usedTokens: number;
  usedCost: number;
  reservedTokens: number;
  reservedCost: number;
}

function periodStart(period: Budget["period"], now: number): number {
  const date = new Date(now);
  if (period === "all") return 0;
  if (period === "day") return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function applies(budget: Budget, call: MeteredCall): boolean {
  return (
    (budget.tenantId === undefined || budget.tenantId === call.tenantId) &&
    (budget.connectionId === undefined || budget.connectionId === call.connectionId) &&
    (budget.provider === undefined || budget.provider === call.provider)
  );
}

function checkBudget(budget: Budget): Budget {
  const limits = [budget.maxTokens, budget.maxCost].filter((limit) => limit !== undefined);
  if (typeof budget.name !== "string" || limits.length === 0 || limits.some((limit) => !(limit >= 0))) {
    throw new ConfigurationError("Each budget needs a name and maxTokens or maxCost (a number ≥ 0).");
  }
  return budget;
}

/** The money `usage` costs at `price` (0 without a price). */
function costOf(price: Price | undefined, usage: CallUsage): number {
  if (!price) return 0;
  return (
    (usage.inputTokens * (price.inputPerMillion ?? 0)) / 1e6 +
    (usage.outputTokens * (price.outputPerMillion ?? 0)) / 1e6 +
    usage.credits * (price.perCredit ?? 0)
  );
}

/** What a held reservation needs of its meter to settle. */
interface Settling {
  now(): number;
  readonly store: UsageStore;
}

// why: a meter without budgets reserves against none; no arrays per call for that.
const NO_BUDGETS: readonly { budget: Budget; index: number }[] = Object.freeze([]);
const NO_STATES: readonly BudgetState[] = Object.freeze([]);

/** Meters calls against budgets and records their usage. */
export class UsageMeter {
  readonly store: UsageStore;
  readonly #prices: PriceTable;
  readonly #budgets: readonly Budget[];
  readonly #defaultMaxOutput: number;
  readonly #now: () => number;
  readonly #states = new Map<string, Promise<BudgetState>>();
  readonly #settling: Settling;

  constructor(options: UsageMeterOptions = {}) {
    this.store = options.store ?? new MemoryUsageStore();
    this.#prices = options.prices ?? {};
    this.#budgets = (options.budgets ?? []).map(checkBudget);
    this.#defaultMaxOutput = options.defaultMaxOutputTokens ?? 4096;
    this.#now = options.now ?? Date.now;
    this.#settling = { now: this.#now, store: this.store };
  }

  /** Sums of recorded usage: by tenant, connection, provider, key source and period. */
  totals(query?: UsageQuery): Promise<UsageTotals> {
    return this.store.totals(query);
  }

  /** The price of `model` at `provider`, or undefined when the table has none. */
  #price(provider: string, model: string | undefined): Price | undefined {
    const table = this.#prices[provider];
    return (model !== undefined ? table?.[model] : undefined) ?? table?.["*"];
  }

  /** The state of a budget in the current period, loaded once from the store. */
  #state(budget: Budget, index: number): Promise<BudgetState> {
    const since = periodStart(budget.period, this.#now());
    const key = `${index}\0${since}`;
    let state = this.#states.get(key);
    if (!state) {
      const scope: UsageQuery = {
        ...(budget.tenantId !== undefined ? { tenantId: budget.tenantId } : {}),
        ...(budget.connectionId !== undefined ? { connectionId: budget.connectionId } : {}),
        ...(budget.provider !== undefined ? { provider: budget.provider } : {}),
        since,
      };
      state = this.store.totals(scope).then((totals) => ({
        usedTokens: totals.inputTokens + totals.outputTokens,
        usedCost: totals.cost,
        reservedTokens: 0,
        reservedCost: 0,
      }));
      state.catch(() => this.#states.delete(key));
      this.#states.set(key, state);
    }
    return state;
  }

  /**
   * Reserves a call's most possible usage against every budget that applies.
   * `BudgetExceededError` when one would be crossed; nothing is reserved then.
   */
  async reserve(call: MeteredCall, bounds: RequestBounds): Promise<Reservation> {
    const scoped =
      this.#budgets.length === 0
        ? NO_BUDGETS
        : this.#budgets.flatMap((budget, index) => (applies(budget, call) ? [{ budget, index }] : []));
    const states =
      scoped.length === 0
        ? NO_STATES
        : await Promise.all(scoped.map(({ budget, index }) => this.#state(budget, index)));
    const price = this.#price(call.provider, bounds.model);
    const most: CallUsage = {
      inputTokens: bounds.inputTokens,
      outputTokens: bounds.maxOutputTokens ?? this.#defaultMaxOutput,
      credits: 0,
    };
    const tokens = most.inputTokens + most.outputTokens;
    const cost = costOf(price, most);
    // why: from here to the reservation nothing awaits, so no other caller can slip in between.
    scoped.forEach(({ budget }, at) => {
      const state = states[at] as BudgetState;
      if (budget.maxCost !== undefined && !price) {
        throw new BudgetExceededError(
          budget.name,
          `Budget "${budget.name}" is in money and the price table has no price for ${call.provider} model "${bounds.model ?? "(unknown)"}"; the call was not sent.`,
        );
      }
      const overTokens =
        budget.maxTokens !== undefined && state.usedTokens + state.reservedTokens + tokens > budget.maxTokens;
      const overCost =
        budget.maxCost !== undefined && state.usedCost + state.reservedCost + cost > budget.maxCost;
      if (overTokens || overCost) {
        throw new BudgetExceededError(
          budget.name,
          `Budget "${budget.name}" could be exceeded by this call (it reserves ${tokens} tokens${price ? `, cost ${cost}` : ""}); the call was not sent.`,
        );
      }
    });
    for (const state of states) {
      state.reservedTokens += tokens;
      state.reservedCost += cost;
    }
    return new Hold(this.#settling, call, bounds, price, most, states, cost);
  }
}

/** A reservation held against the budget states it was checked against. */
class Hold implements Reservation {
  readonly #settling: Settling;
  readonly #call: MeteredCall;
  readonly #model: string | undefined;
  readonly #price: Price | undefined;
  /** The usage reserved: charged when the call reports none. */
  readonly #most: CallUsage;
  readonly #states: readonly BudgetState[];
  readonly #cost: number;
  #open = true;

  constructor(
    settling: Settling,
    call: MeteredCall,
    bounds: RequestBounds,
    price: Price | undefined,
    most: CallUsage,
    states: readonly BudgetState[],
    cost: number,
  ) {
    this.#settling = settling;
    this.#call = call;
    this.#model = bounds.model;
    this.#price = price;
    this.#most = most;
    this.#states = states;
    this.#cost = cost;
  }

  release(): void {
    if (!this.#open) return;
    this.#open = false;
    const tokens = this.#most.inputTokens + this.#most.outputTokens;
    for (const state of this.#states) {
      state.reservedTokens -= tokens;
      state.reservedCost -= this.#cost;
    }
  }

  async settle(usage: CallUsage | undefined): Promise<UsageRecord> {
    const call = this.#call;
    const used = usage ?? this.#most;
    const record: UsageRecord = {
      time: this.#settling.now(),
      tenantId: call.tenantId,
      connectionId: call.connectionId,
      provider: call.provider,
      keySource: call.keySource,
      ...(this.#model !== undefined ? { model: this.#model } : {}),
      inputTokens: used.inputTokens,
      outputTokens: used.outputTokens,
      credits: used.credits,
      cost: costOf(this.#price, used),
      ...(usage === undefined ? { estimated: true } : {}),
    };
    if (this.#open) {
      for (const state of this.#states) {
        state.usedTokens += used.inputTokens + used.outputTokens;
        state.usedCost += record.cost;
      }
    }
    this.release();
    await this.#settling.store.add(record);
    return record;
  }
}

/** A meter over `options.store` (in memory by default) with the operator's prices and budgets. */
export function createUsageMeter(options?: UsageMeterOptions): UsageMeter {
  return new UsageMeter(options);
}
