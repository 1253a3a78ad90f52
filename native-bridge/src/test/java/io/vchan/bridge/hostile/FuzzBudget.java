package io.vchan.bridge.hostile;

/**
 * How hard to fuzz: {@code -Dvchan.fuzz.mutations=N} is the total per run
 * (default 100,000): half for the C hostile peer, split between its client
 * and server roles, half for the Java one (both roles);
 * {@code -Dvchan.fuzz.seed=S} replays a run.
 */
final class FuzzBudget {

    private FuzzBudget() {
    }

    static long totalMutations() {
        return Long.getLong("vchan.fuzz.mutations", 100_000);
    }

    static long cClientMutations() {
        return totalMutations() / 2 / 2;
    }

    static long cServerMutations() {
        return totalMutations() / 2 - cClientMutations();
    }

    static long javaMutations() {
        return totalMutations() - totalMutations() / 2;
    }

    static long seed(long fixedDefault) {
        return Long.getLong("vchan.fuzz.seed", fixedDefault);
    }
}
