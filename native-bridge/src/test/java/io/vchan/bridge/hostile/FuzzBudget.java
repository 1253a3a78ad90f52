package io.vchan.bridge.hostile;

/**
 * How hard to fuzz: {@code -Dvchan.fuzz.mutations=N} is the total per run
 * (default 100,000, split between the C and the Java hostile peer);
 * {@code -Dvchan.fuzz.seed=S} replays a run.
 */
final class FuzzBudget {

    private FuzzBudget() {
    }

    static long totalMutations() {
        return Long.getLong("vchan.fuzz.mutations", 100_000);
    }

    static long seed(long fixedDefault) {
        return Long.getLong("vchan.fuzz.seed", fixedDefault);
    }
}
