package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore;
import io.vchan.bridge.xen.XenStorePermission;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A XenStore connection of one domain: resolves relative paths under
 * {@code /local/domain/<self>}, forwards to the host, and queues the watch
 * events the host sends it until {@link #awaitWatch} takes them.
 */
final class MemoryXenStore extends MemoryHandle implements XenStore {

    private final MemoryStoreHost host;
    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition arrived = queueLock.newCondition();
    private final ArrayDeque<WatchEvent> events = new ArrayDeque<>();

    MemoryXenStore(DomainId domain, HandleRegistry registry, MemoryStoreHost host) {
        super(domain, registry);
        this.host = host;
    }

    private String absolute(String path, String call) throws XenException {
        ensureOpen(call);
        return StorePath.absolute(path, domain(), call);
    }

    @Override
    public Optional<byte[]> read(int transaction, String path) throws XenException {
        return host.read(this, transaction, absolute(path, "xs_read"));
    }

    @Override
    public void write(int transaction, String path, byte[] value) throws XenException {
        host.write(this, transaction, absolute(path, "xs_write"), value);
    }

    @Override
    public void remove(int transaction, String path) throws XenException {
        host.remove(this, transaction, absolute(path, "xs_rm"));
    }

    @Override
    public List<String> directory(int transaction, String path) throws XenException {
        return host.directory(this, transaction, absolute(path, "xs_directory"));
    }

    @Override
    public void setPermissions(int transaction, String path, List<XenStorePermission> permissions)
            throws XenException {
        if (permissions.isEmpty()) {
            throw new IllegalArgumentException("a node needs at least its owner's permission entry");
        }
        host.setPermissions(this, transaction, absolute(path, "xs_set_permissions"), permissions);
    }

    @Override
    public int beginTransaction() throws XenException {
        ensureOpen("xs_transaction_start");
        return host.begin(this);
    }

    @Override
    public boolean endTransaction(int transaction, boolean abort) throws XenException {
        ensureOpen("xs_transaction_end");
        return host.end(this, transaction, abort);
    }

    @Override
    public void watch(String path, String token) throws XenException {
        ensureOpen("xs_watch");
        host.watch(this, path, token);
    }

    @Override
    public void unwatch(String path, String token) throws XenException {
        ensureOpen("xs_unwatch");
        host.unwatch(this, path, token);
    }

    /** Called by the host, under its lock. */
    void deliver(WatchEvent event) {
        queueLock.lock();
        try {
            events.add(event);
            arrived.signalAll();
        } finally {
            queueLock.unlock();
        }
    }

    /** Waits up to {@code timeoutMillis} (negative: no limit, 0: just look); empty on timeout or close. */
    @Override
    public Optional<WatchEvent> awaitWatch(long timeoutMillis) throws XenException {
        ensureOpen("xs_read_watch");
        queueLock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
            while (events.isEmpty() && !isClosed()) {
                if (timeoutMillis < 0) {
                    arrived.await();
                } else if (left <= 0) {
                    break;
                } else {
                    left = arrived.awaitNanos(left);
                }
            }
            return Optional.ofNullable(events.poll());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenException("xs_read_watch", Errno.EINTR, "interrupted");
        } finally {
            queueLock.unlock();
        }
    }

    @Override
    void release() {
        host.closed(this);
        queueLock.lock();
        try {
            events.clear();
            arrived.signalAll();
        } finally {
            queueLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "in-JVM XenStore connection of " + domain();
    }
}
