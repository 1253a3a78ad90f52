package io.vchan.connector;

import io.vchan.bridge.ring.RingEndpoint;
import io.vchan.bridge.ring.VchanClient;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.connector.impl.Domains;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The flood from a Java thread on the in-JVM platform: a well-formed client that notifies without cause. */
class NotificationFloodInJvmTest extends NotificationFloodContract {

    @Override
    TestPlatform platform() {
        return TestPlatform.IN_JVM;
    }

    @Override
    Flooder startFlooder(String path) throws Exception {
        XenPlatform platform = vchan.runtime().platform();
        EventChannels events = platform.openEventChannels(Domains.bridge(FLOODER));
        try {
            return new JavaFlooder(events, VchanClient.connect(platform, events, Domains.bridge(SERVER), path,
                    TIMEOUT));
        } catch (IOException | RuntimeException e) {
            events.close();
            throw e;
        }
    }

    /** Notifies 10,000 times (as fast as the C flooder 1000) between each step of honest data: a counting pattern out, its echo checked. */
    private static final class JavaFlooder implements Flooder, Runnable {
        private final Thread thread = new Thread(this, "java-flooder");
        private final EventChannels events;
        private final RingEndpoint endpoint;
        private final CompletableFuture<long[]> report = new CompletableFuture<>();
        private final CompletableFuture<Void> flooding = new CompletableFuture<>();
        private volatile boolean paused;
        private long notifications;
        private long written;
        private long echoed;

        JavaFlooder(EventChannels events, RingEndpoint endpoint) {
            this.events = events;
            this.endpoint = endpoint;
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            ByteBuffer out = ByteBuffer.allocate(256);
            ByteBuffer in = ByteBuffer.allocate(4096);
            flooding.complete(null);
            long burst = System.nanoTime();
            try {
                while (true) {
                    synchronized (this) {
                        while (paused) {
                            wait();
                        }
                    }
                    for (int k = 0; k < 10_000; k++, notifications++) {
                        events.notify(endpoint.port());
                    }
                    // A domain of its own would have a CPU of its own; this thread shares ours, so it
                    // floods in bursts of a millisecond and rests as long: half a core, as xensim's
                    // flooder process gets here, beside our threads on two.
                    if (System.nanoTime() - burst > 1_000_000) {
                        LockSupport.parkNanos(1_000_000);
                        burst = System.nanoTime();
                    }
                    out.clear();
                    for (int k = 0; k < out.capacity(); k++) {
                        out.put((byte) (written + k));
                    }
                    out.flip();
                    written += endpoint.write(out);
                    in.clear();
                    int n = endpoint.read(in);
                    if (n < 0) {
                        break; // our server closed
                    }
                    for (int k = 0; k < n; k++, echoed++) {
                        if (in.get(k) != (byte) echoed) {
                            throw new AssertionError("echoed byte " + echoed + " is " + in.get(k));
                        }
                    }
                }
                report.complete(new long[] {notifications, echoed});
            } catch (IOException closed) {
                report.complete(new long[] {notifications, echoed}); // our server closed while we wrote
            } catch (Throwable t) {
                report.completeExceptionally(t);
            }
        }

        @Override
        public void awaitFlooding() throws Exception {
            flooding.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public synchronized void suspend() {
            paused = true;
        }

        @Override
        public synchronized void resume() {
            paused = false;
            notifyAll();
        }

        @Override
        public long[] report() throws Exception {
            return report.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() throws Exception {
            resume();
            thread.join(TIMEOUT.toMillis());
            endpoint.close();
            events.close();
        }
    }
}
