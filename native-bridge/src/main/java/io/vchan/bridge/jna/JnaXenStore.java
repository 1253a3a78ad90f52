package io.vchan.bridge.jna;

import static io.vchan.bridge.jna.Calls.ok;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore;
import io.vchan.bridge.xen.XenStorePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** A XenStore connection over libxenstore. */
final class JnaXenStore implements XenStore {

    private final Pointer handle;
    private final DomainId domain;
    private final AtomicBoolean closed = new AtomicBoolean();

    JnaXenStore(Pointer handle, DomainId domain) {
        this.handle = handle;
        this.domain = domain;
    }

    @Override
    public DomainId domain() {
        return domain;
    }

    @Override
    public Optional<byte[]> read(int transaction, String path) throws XenException {
        IntByReference len = new IntByReference();
        Pointer value = XenStoreLib.xs_read(handle, transaction, path, len);
        if (value == null) {
            int errno = Native.getLastError();
            if (errno == Errno.ENOENT) {
                return Optional.empty();
            }
            throw new XenException("xs_read", errno, path);
        }
        try {
            return Optional.of(value.getByteArray(0, len.getValue()));
        } finally {
            LibC.free(value);
        }
    }

    @Override
    public void write(int transaction, String path, byte[] value) throws XenException {
        ok(XenStoreLib.xs_write(handle, transaction, path, value, value.length), "xs_write", path);
    }

    @Override
    public void remove(int transaction, String path) throws XenException {
        ok(XenStoreLib.xs_rm(handle, transaction, path), "xs_rm", path);
    }

    @Override
    public List<String> directory(int transaction, String path) throws XenException {
        IntByReference num = new IntByReference();
        Pointer vec = XenStoreLib.xs_directory(handle, transaction, path, num);
        if (vec == null) {
            throw new XenException("xs_directory", Native.getLastError(), path);
        }
        try {
            List<String> names = new ArrayList<>(num.getValue());
            for (Pointer p : vec.getPointerArray(0, num.getValue())) {
                names.add(p.getString(0));
            }
            return names;
        } finally {
            LibC.free(vec);
        }
    }

    @Override
    public void setPermissions(int transaction, String path, List<XenStorePermission> permissions)
            throws XenException {
        if (permissions.isEmpty()) {
            throw new IllegalArgumentException("a node needs at least its owner's permission entry");
        }
        int[] pairs = new int[permissions.size() * 2];
        for (int i = 0; i < permissions.size(); i++) {
            pairs[2 * i] = permissions.get(i).domain().value();
            pairs[2 * i + 1] = permissions.get(i).bits();
        }
        ok(XenStoreLib.xs_set_permissions(handle, transaction, path, pairs, permissions.size()),
                "xs_set_permissions", path);
    }

    @Override
    public int beginTransaction() throws XenException {
        int t = XenStoreLib.xs_transaction_start(handle);
        if (t == 0) {
            throw new XenException("xs_transaction_start", Native.getLastError(), null);
        }
        return t;
    }

    @Override
    public boolean endTransaction(int transaction, boolean abort) throws XenException {
        if (XenStoreLib.xs_transaction_end(handle, transaction, abort ? 1 : 0) != 0) {
            return true;
        }
        int errno = Native.getLastError();
        if (errno == Errno.EAGAIN) {
            return false;
        }
        throw new XenException("xs_transaction_end", errno, null);
    }

    @Override
    public void watch(String path, String token) throws XenException {
        ok(XenStoreLib.xs_watch(handle, path, token), "xs_watch", path);
    }

    @Override
    public void unwatch(String path, String token) throws XenException {
        ok(XenStoreLib.xs_unwatch(handle, path, token), "xs_unwatch", path);
    }

    @Override
    public Optional<WatchEvent> awaitWatch(long timeoutMillis) throws XenException {
        Optional<WatchEvent> now = checkWatch();
        if (now.isPresent() || timeoutMillis == 0) {
            return now;
        }
        int fd = Calls.nonNegative(XenStoreLib.xs_fileno(handle), "xs_fileno");
        return PollFds.readable(fd, timeoutMillis) ? checkWatch() : Optional.empty();
    }

    private Optional<WatchEvent> checkWatch() throws XenException {
        Pointer vec = XenStoreLib.xs_check_watch(handle);
        if (vec == null) {
            int errno = Native.getLastError();
            if (errno == Errno.EAGAIN) {
                return Optional.empty();
            }
            throw new XenException("xs_check_watch", errno, null);
        }
        try {
            return Optional.of(new WatchEvent(vec.getPointer(0).getString(0),
                    vec.getPointer(Native.POINTER_SIZE).getString(0)));
        } finally {
            LibC.free(vec);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            XenStoreLib.xs_close(handle);
        }
    }
}
