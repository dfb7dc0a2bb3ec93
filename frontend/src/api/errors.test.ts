import { describe, expect, it } from "vitest";
import { ApiError, toFormError, unwrap } from "./errors";

describe("toFormError", () => {
  it("puts validation messages at their fields and the headline above", () => {
    const body = {
      status: 400,
      error: "Validation failed",
      details: { name: ["This field is required."], weight: ["Ensure this value is less than or equal to 1000.", "Must be a number."] },
    };
    expect(toFormError(body, 400)).toEqual({
      message: "Validation failed",
      fieldErrors: { name: "This field is required.", weight: "Ensure this value is less than or equal to 1000. Must be a number." },
    });
  });

  it("names nested fields by their dotted path, list items by index", () => {
    const body = {
      status: 400,
      error: "Validation failed",
      details: { rules: [{}, { weight: ["A valid integer is required."] }], destination: [{ url: ["Enter a valid URL."] }] },
    };
    expect(toFormError(body, 400).fieldErrors).toEqual({
      "rules.1.weight": "A valid integer is required.",
      "destination.0.url": "Enter a valid URL.",
    });
  });

  it("shows errors of no one field as the message", () => {
    const body = { status: 400, error: "Validation failed", details: { non_field_errors: ["Pick a window or a count."] } };
    expect(toFormError(body, 400)).toEqual({ message: "Pick a window or a count.", fieldErrors: {} });
  });

  it("uses the API's message for errors without details", () => {
    expect(toFormError({ status: 409, error: "A ruleset of that name exists" }, 409)).toEqual({
      message: "A ruleset of that name exists",
      fieldErrors: {},
    });
  });

  it("explains answers that are not the API's error shape", () => {
    expect(toFormError("<html>Bad gateway</html>", 502).message).toBe("The server answered 502.");
    expect(toFormError(undefined).message).toBe("The server could not be reached.");
    expect(toFormError(new TypeError("Failed to fetch")).message).toBe("Failed to fetch");
  });
});

describe("unwrap", () => {
  it("returns the data of a success", async () => {
    await expect(unwrap(Promise.resolve({ data: { id: "rs_1" }, response: new Response(null, { status: 200 }) }))).resolves.toEqual({ id: "rs_1" });
  });

  it("throws an ApiError that forms can show", async () => {
    const failure = unwrap(
      Promise.resolve({
        error: { status: 400, error: "Validation failed", details: { name: ["Too long."] } },
        response: new Response(null, { status: 400 }),
      }),
    );
    await expect(failure).rejects.toBeInstanceOf(ApiError);
    const error = (await failure.catch((caught: unknown) => caught)) as ApiError;
    expect(error.status).toBe(400);
    expect(toFormError(error)).toEqual({ message: "Validation failed", fieldErrors: { name: "Too long." } });
  });
});
