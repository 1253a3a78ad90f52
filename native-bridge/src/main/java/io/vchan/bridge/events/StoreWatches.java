package io.vchan.bridge.events;

import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One XenStore connection of a local domain and one thread that waits for its
 * watch events and hands each to the watch that asked for it, so that any
 * number of waits on XenStore (clients waiting for a server's keys, dom0
 * watching peer domains) cost one connection and one thread, not one each.
 *
 * <p>Each {@link #watch} gets a token of its own. Its handler runs on the
 * watch thread: once at once (XenStore fires a new watch once), then on each
 * change at or below the path, until {@link Watch#cancel}; or once when its
 * deadline passes, or when this closes. Handlers read the store with
 * {@link #store()} and must not block on anything else.
 */
public final class StoreWatches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreWatches.class);
    /** Longest sleep between looks at the closed flag. */
    private static final long WAKE_MILLIS = 250;

    private final XenStore store;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;

    /** What a watch does; each call runs on the watch thread. */
    public interface Handler {
        /**
         * {@code path}, the watched path or one below it, changed (or the watch was just
         * set: then {@code path} is the watched one).
         */
        void fired(Watch w, String path);

        /** The deadline passed; the watch is already cancelled. */
        default void timedOut(Watch w) {
        }

        /** The connection closed or failed; the watch is already cancelled. */
        default void closed(Watch w, Exception cause) {
        }
    }

    /** One watch: a path, a token of its own, a deadline ({@code Long.MAX_VALUE} for none). */
    public final class Watch {
        private final String path;
        private final String token;
        private final long deadlineNanos;
        private final Handler handler;

        private Watch(String path, String token, long deadlineNanos, Handler handler) {
            this.path = path;
            this.token = token;
            this.deadlineNanos = deadlineNanos;
            this.handler = handler;
        }

        /** Stops the watch; its handler is not called again. Idempotent, from any thread. */
        public void cancel() {
            if (watches.remove(token, this) && !closed) {
                try {
                    store.unwatch(path, token);
                } catch (XenException e) {
                    LOG.debug("unwatch of " + path + " failed", e);
                }
            }
        }
    }

    /** Takes {@code store} over: it is closed with this, and also if this constructor fails. */
    public StoreWatches(XenStore store, String threadName) throws XenException {
        this.store = store;
        try {
            // Opens the connection's event channel now (libxenstore opens it on first use), so
            // that all it holds exists once this returns, not when the thread first looks.
            store.awaitWatch(0);
        } catch (XenException | RuntimeException e) {
            store.close();
            throw e;
        }
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** The connection, for handlers' reads. */
    public XenStore store() {
        return store;
    }

    /**
     * Watches {@code path} until cancelled or {@code deadlineNanos} (a
     * {@link System#nanoTime} value, or {@code Long.MAX_VALUE}).
     */
    public Watch watch(String path, long deadlineNanos, Handler handler) throws XenException {
        if (closed) {
            throw new IllegalStateException("the XenStore watches of " + store.domain() + " are closed");
        }
        Watch w = new Watch(path, "w" + tokens.incrementAndGet(), deadlineNanos, handler);
        watches.put(w.token, w);
        try {
            store.watch(path, w.token);
        } catch (XenException | RuntimeException e) {
            watches.remove(w.token);
            throw e;
        }
        return w;
    }

    /** False once closed, or once its connection failed: then a fresh one is needed. */
    public boolean isOpen() {
        return !closed;
    }

    /** Watches pending now: for leak checks. */
    public int count() {
        return watches.size();
    }

    private void run() {
        Exception failure = null;
        try {
            while (!closed) {
                Optional<XenStore.WatchEvent> event = store.awaitWatch(millisToNextDeadline());
                if (event.isPresent()) {
                    Watch w = watches.get(event.get().token());
                    if (w != null) {
                        String path = event.get().path();
                        call(w, () -> w.handler.fired(w, path));
                    }
                }
                expireDue();
            }
        } catch (XenException | RuntimeException e) {
            failure = e;
            if (!closed) {
                LOG.warn("XenStore watches of " + store.domain() + " failed; "
                        + watches.size() + " pending wait(s) fail", e);
            }
        }
        closed = true;
        Exception cause = failure != null ? failure
                : new IllegalStateException("the XenStore watches of " + store.domain() + " are closed");
        for (Watch w : new ArrayList<>(watches.values())) {
            if (watches.remove(w.token, w)) {
                call(w, () -> w.handler.closed(w, cause));
            }
        }
    }

    private long millisToNextDeadline() {
        long next = Long.MAX_VALUE;
        for (Watch w : watches.values()) {
            next = Math.min(next, w.deadlineNanos);
        }
        if (next == Long.MAX_VALUE) {
            return WAKE_MILLIS;
        }
        long left = next - System.nanoTime();
        // round up: waking a little after the deadline is fine, spinning just before it is not
        return Math.max(0, Math.min(WAKE_MILLIS, (left + 999_999) / 1_000_000));
    }

    private void expireDue() {
        long now = System.nanoTime();
        List<Watch> due = null;
        for (Watch w : watches.values()) {
            if (w.deadlineNanos != Long.MAX_VALUE && now - w.deadlineNanos >= 0) {
                (due == null ? due = new ArrayList<>() : due).add(w);
            }
        }
        if (due != null) {
            for (Watch w : due) {
                if (watches.containsKey(w.token)) {
                    w.cancel();
                    call(w, () -> w.handler.timedOut(w));
                }
            }
        }
    }

    /**
     * Ends the thread's current wait now rather than at its next look at the
     * flag: a new watch fires once at once. On the domain's own home, which it
     * may read; left set, as the connection closes next (an unwatch could take
     * the event back before the thread sees it).
     */
    private void wake() {
        String home = "/local/domain/" + store.domain().value();
        try {
            store.watch(home, "wake");
        } catch (XenException | RuntimeException e) {
            LOG.debug("could not wake the watch thread; it stops at its next look", e);
        }
    }

    /** A failing handler is that watch's problem, not the other watches'. */
    private static void call(Watch w, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("the handler of a XenStore watch on " + w.path + " failed", e);
        }
    }

    /** Stops the thread; pending watches are told {@link Handler#closed}. */
    @Override
    public void close() {
        closed = true;
        if (thread != Thread.currentThread()) {
            wake();
            try {
                thread.join(2 * WAKE_MILLIS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
    }
}
