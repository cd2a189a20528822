import { describe, expect, it } from "vitest";
import { integerVariable } from "../../src/core/backend-support.js";
import { ConfigurationError } from "../../src/core/errors.js";

describe("integerVariable", () => {
  it("reads whole numbers within range and treats unset or empty as absent", () => {
    expect(integerVariable({ N: "7" }, "N", { min: 7, max: 30, source: "test" })).toBe(7);
    expect(integerVariable({}, "N", { min: 1, source: "test" })).toBeUndefined();
    expect(integerVariable({ N: " " }, "N", { min: 1, source: "test" })).toBeUndefined();
  });

  it("refuses fractions, words and out-of-range values, naming the variable and not the value", () => {
    for (const bad of ["6", "31", "7.5", "seven", "-1e3"]) {
      let error: unknown;
      try {
        integerVariable({ N_DAYS: bad }, "N_DAYS", { min: 7, max: 30, source: "test" });
      } catch (caught) {
        error = caught;
      }
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as ConfigurationError).missing).toEqual(["N_DAYS"]);
      expect((error as Error).message).toBe("[credkit] [test] N_DAYS must be a whole number from 7 to 30.");
    }
  });
});
