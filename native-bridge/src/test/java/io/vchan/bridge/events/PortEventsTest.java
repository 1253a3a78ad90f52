package io.vchan.bridge.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.memory.Resources;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How the loop hands a flooded port to its consumer (in-JVM platform, a
 * thread notifying in a tight loop): one turn at a time, as fast as the
 * consumer rearms while its turns have a cause, about one a millisecond once
 * they have had none 16 times in a row, and at full pace again after a turn
 * with a cause.
 */
class PortEventsTest {

    private static final DomainId OURS = DomainId.DOM0;
    private static final DomainId PEER = DomainId.of(1);
    private static final long WINDOW_MS = 300;

    @Test
    void turnsWithoutCauseAreSlowedToAboutOneAMillisecond() throws Exception {
        try (InMemoryPlatform platform = new InMemoryPlatform()) {
            EventLoop loop = EventLoop.start(platform, 1);
            EventChannels peer = platform.openEventChannels(PEER);
            AtomicBoolean stop = new AtomicBoolean();
            Thread flooder = null;
            try {
                EventChannels ours = loop.channels(OURS);
                int port = ours.bindUnbound(PEER);
                int peerPort = peer.bindInterdomain(OURS, port);
                AtomicLong turns = new AtomicLong();
                AtomicBoolean withCause = new AtomicBoolean(true);
                CompletableFuture<PortEvents> events = new CompletableFuture<>();
                events.complete(loop.register(ours, port, () -> {
                    turns.incrementAndGet();
                    events.join().rearm(withCause.get()); // on the loop thread: the most eager consumer
                }));
                flooder = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            peer.notify(peerPort);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "flooder");
                flooder.start();

                long eager = turnsIn(turns);
                withCause.set(false);
                turnsIn(turns); // the first 16 idle turns go at full pace
                long idle = turnsIn(turns);
                withCause.set(true);
                turnsIn(turns); // the delay in force ends with the first turn that had a cause
                long eagerAgain = turnsIn(turns);
                System.out.printf("turns in %d ms under a flood: %d with a cause, %d without, %d with again%n",
                        WINDOW_MS, eager, idle, eagerAgain);
                assertTrue(idle <= WINDOW_MS * 11 / 10 + PortEvents.IDLE_TURNS_BEFORE_DELAY,
                        idle + " idle turns in " + WINDOW_MS + " ms");
                assertTrue(idle >= WINDOW_MS / 4, "the flooded port was starved: " + idle + " turns");
                assertTrue(eager > 4 * idle && eagerAgain > 4 * idle,
                        "turns with a cause are not slowed: " + eager + ", " + eagerAgain + " vs " + idle);
                loop.unregister(ours, port);
                ours.unbind(port);
            } finally {
                stop.set(true);
                if (flooder != null) {
                    flooder.join();
                }
                peer.close();
                loop.close();
            }
            assertEquals(Resources.NONE, platform.resources());
        }
    }

    private static long turnsIn(AtomicLong turns) throws InterruptedException {
        long from = turns.get();
        TimeUnit.MILLISECONDS.sleep(WINDOW_MS); // a measuring window, not a wait for a condition
        return turns.get() - from;
    }
}
