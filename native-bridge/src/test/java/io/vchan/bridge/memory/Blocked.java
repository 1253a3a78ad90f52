package io.vchan.bridge.memory;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A call running on its own thread, so a test can check that it really
 * blocks, then make it return. {@link #untilParked()} waits for the thread
 * to be parked (in a condition wait), not for a guessed time.
 */
final class Blocked<T> {

    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Thread thread;

    private Blocked(Callable<T> call) {
        thread = new Thread(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "blocked-call");
        thread.setDaemon(true);
        thread.start();
    }

    static <T> Blocked<T> call(Callable<T> call) {
        return new Blocked<>(call);
    }

    /** Returns once the call is parked; fails if it returned instead. */
    Blocked<T> untilParked() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Thread.State s = thread.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                assertFalse(result.isDone(), "the call returned instead of blocking");
                return this;
            }
            if (result.isDone() || s == Thread.State.TERMINATED) {
                fail("the call returned instead of blocking: " + result);
            }
            if (System.nanoTime() > deadline) {
                fail("the call neither blocked nor returned within 10 s");
            }
            Thread.onSpinWait();
        }
    }

    T get() throws Exception {
        return result.get(10, TimeUnit.SECONDS);
    }
}
