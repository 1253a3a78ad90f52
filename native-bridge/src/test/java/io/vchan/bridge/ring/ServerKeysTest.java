package io.vchan.bridge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vchan.bridge.events.EventLoop;
import io.vchan.bridge.events.StoreWatches;
import io.vchan.bridge.memory.InMemoryPlatform;
import io.vchan.bridge.memory.Resources;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenStore;
import io.vchan.bridge.xen.XenStorePermission;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A client's wait for its server's keys on the shared XenStore watches: no thread per wait. */
class ServerKeysTest {

    private static final DomainId SERVER = DomainId.DOM0;
    private static final DomainId CLIENT = DomainId.of(1);

    private final InMemoryPlatform platform = new InMemoryPlatform();
    private final EventLoop loop = startLoop();

    private EventLoop startLoop() {
        try {
            return EventLoop.start(platform, 1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @AfterEach
    void close() {
        loop.close();
        platform.close();
        assertEquals(Resources.NONE, platform.resources());
    }

    private static String path(int i) {
        return "/local/domain/0/data/vchan/1/p" + i;
    }

    /** What a server publishes: both keys, readable by the client. */
    private static void publish(XenStore xs, String path, String ringRef, String port) throws Exception {
        xs.write(0, path, new byte[0]);
        xs.setPermissions(0, path, List.of(XenStorePermission.owner(SERVER, false, false),
                XenStorePermission.readOnly(CLIENT)));
        for (String[] kv : new String[][] {{"ring-ref", ringRef}, {"event-channel", port}}) {
            xs.write(0, path + "/" + kv[0], kv[1].getBytes(StandardCharsets.US_ASCII));
            xs.setPermissions(0, path + "/" + kv[0], List.of(XenStorePermission.owner(SERVER, false, false),
                    XenStorePermission.readOnly(CLIENT)));
        }
    }

    private static long storeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("vchan-xenstore-")).count();
    }

    @Test
    void aServerThatPublishesGarbageFailsTheWaitWithAProtocolError() throws Exception {
        CompletableFuture<ServerKeys> wait = ServerKeys.await(loop.storeWatches(CLIENT), SERVER, path(9000),
                Duration.ofSeconds(30));
        try (XenStore xs = platform.openXenStore(SERVER)) {
            publish(xs, path(9000), "+5", "7");
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> wait.get(10, TimeUnit.SECONDS));
        assertInstanceOf(VchanProtocolException.class, e.getCause());
        assertEquals(path(9000) + "/ring-ref is '+5': not a grant ref or port (a positive decimal number, as a"
                + " server writes it)", e.getCause().getMessage());
    }

    @Test
    void manyWaitsShareOneThreadAndEachGetsItsOwnKeys() throws Exception {
        StoreWatches watches = loop.storeWatches(CLIENT);
        List<CompletableFuture<ServerKeys>> waits = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            waits.add(ServerKeys.await(watches, SERVER, path(i), Duration.ofSeconds(30)));
        }
        assertEquals(1, storeThreads(), "one thread waits for all");
        assertTrue(waits.stream().noneMatch(CompletableFuture::isDone), "nothing is published yet");
        try (XenStore xs = platform.openXenStore(SERVER)) {
            for (int i = 0; i < 200; i++) {
                publish(xs, path(i), "" + (1000 + i), "" + (1 + i));
            }
        }
        for (int i = 0; i < 200; i++) {
            assertEquals(new ServerKeys(1000 + i, 1 + i), waits.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(0, watches.count(), "each answered wait dropped its watch");
    }

    @Test
    void keysAlreadyThereAnswerAtOnce() throws Exception {
        try (XenStore xs = platform.openXenStore(SERVER)) {
            publish(xs, path(7), "44", "5");
        }
        assertEquals(new ServerKeys(44, 5),
                ServerKeys.await(loop.storeWatches(CLIENT), SERVER, path(7), Duration.ofSeconds(10))
                        .get(10, TimeUnit.SECONDS));
    }

    @Test
    void aWaitTimesOutAtItsDeadlineAndOthersGoOnWaiting() throws Exception {
        StoreWatches watches = loop.storeWatches(CLIENT);
        CompletableFuture<ServerKeys> longer = ServerKeys.await(watches, SERVER, path(1), Duration.ofSeconds(30));
        long start = System.nanoTime();
        CompletableFuture<ServerKeys> soon = ServerKeys.await(watches, SERVER, path(2), Duration.ofMillis(300));
        ExecutionException e = assertThrows(ExecutionException.class, () -> soon.get(10, TimeUnit.SECONDS));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertInstanceOf(VchanConnectTimeoutException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(path(2)), e.getCause().getMessage());
        assertTrue(tookMs >= 300 && tookMs < 3000, "timed out after " + tookMs + " ms");
        assertFalse(longer.isDone());
        assertEquals(1, watches.count());
        longer.cancel(false);
        assertEquals(0, watches.count(), "cancelling a wait drops its watch");
    }

    @Test
    void garbageInAKeyFailsThatWaitWithAProtocolError() throws Exception {
        CompletableFuture<ServerKeys> wait =
                ServerKeys.await(loop.storeWatches(CLIENT), SERVER, path(3), Duration.ofSeconds(30));
        try (XenStore xs = platform.openXenStore(SERVER)) {
            publish(xs, path(3), "twelve", "5");
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> wait.get(10, TimeUnit.SECONDS));
        assertInstanceOf(VchanProtocolException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("ring-ref"), e.getCause().getMessage());
    }

    @Test
    void closingTheLoopFailsPendingWaitsAndStopsTheThread() throws Exception {
        CompletableFuture<ServerKeys> wait =
                ServerKeys.await(loop.storeWatches(CLIENT), SERVER, path(4), Duration.ofDays(1));
        loop.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> wait.get(10, TimeUnit.SECONDS));
        assertInstanceOf(VchanClosedException.class, e.getCause());
        assertEquals(0, storeThreads());
    }
}
