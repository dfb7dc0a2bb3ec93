import { describe, expect, it } from "vitest";
import { apiQueryFromState, levelOf, searchParamsFromState, stateFromSearchParams, type LevelBand } from "./listParams";

const LEVELS: LevelBand[] = [
  { name: "Cold", min_score: 0, max_score: 24 },
  { name: "Warm", min_score: 25, max_score: 49 },
  { name: "Very Hot", min_score: 75, max_score: null },
];

describe("leads list URL state", () => {
  it("round-trips through the URL and leaves defaults out", () => {
    const state = stateFromSearchParams(new URLSearchParams("q=ann&level=Warm&min_score=30&last_active=7d&event_type=demo&sort=-created_at&page=3"));
    expect(state).toEqual({ page: 3, sort: "-created_at", search: "ann", minScore: 30, maxScore: undefined, level: "Warm", lastActive: "7d", eventType: "demo" });
    expect(searchParamsFromState(state).toString()).toBe("q=ann&level=Warm&min_score=30&last_active=7d&event_type=demo&sort=-created_at&page=3");
    expect(searchParamsFromState(stateFromSearchParams(new URLSearchParams())).toString()).toBe("");
  });

  it("ignores what a hand-edited URL gets wrong instead of sending it to the API", () => {
    const state = stateFromSearchParams(new URLSearchParams("page=-4&sort=name&min_score=1e999&max_score=abc&last_active=1y"));
    expect(state).toMatchObject({ page: 1, sort: "-score", minScore: undefined, maxScore: undefined, lastActive: "any" });
  });
});

describe("apiQueryFromState", () => {
  const base = stateFromSearchParams(new URLSearchParams());

  it("asks for one page in the chosen order", () => {
    expect(apiQueryFromState(base, LEVELS)).toEqual({ page: 1, limit: 25, sort: "-score" });
  });

  it("turns a level into its score band, narrowed by typed bounds", () => {
    expect(apiQueryFromState({ ...base, level: "Warm" }, LEVELS)).toMatchObject({ min_score: 25, max_score: 49 });
    expect(apiQueryFromState({ ...base, level: "Warm", minScore: 30, maxScore: 90 }, LEVELS)).toMatchObject({ min_score: 30, max_score: 49 });
    const open = apiQueryFromState({ ...base, level: "Very Hot" }, LEVELS);
    expect(open.min_score).toBe(75);
    expect(open).not.toHaveProperty("max_score");
  });

  it("passes last activity and last event type through", () => {
    expect(apiQueryFromState({ ...base, lastActive: "30d", eventType: "demo_request" }, LEVELS)).toMatchObject({ last_active: "30d", event_type: "demo_request" });
  });
});

describe("levelOf", () => {
  it("finds the inclusive band of a score", () => {
    expect(levelOf(24, LEVELS)).toBe("Cold");
    expect(levelOf(25, LEVELS)).toBe("Warm");
    expect(levelOf(1_000_000, LEVELS)).toBe("Very Hot");
    expect(levelOf(60, LEVELS)).toBeNull();
  });
});
