package io.vchan.bridge.xen;

import java.util.List;
import java.util.Optional;

/**
 * A XenStore connection of one domain (libxenstore's {@code xs_handle}).
 * Relative paths resolve under {@code /local/domain/<self>}. A {@code transaction}
 * of 0 means none.
 */
public interface XenStore extends AutoCloseable {

    DomainId domain();

    /** The value, or empty if the node does not exist. */
    Optional<byte[]> read(int transaction, String path) throws XenException;

    void write(int transaction, String path, byte[] value) throws XenException;

    void remove(int transaction, String path) throws XenException;

    List<String> directory(int transaction, String path) throws XenException;

    void setPermissions(int transaction, String path, List<XenStorePermission> permissions)
            throws XenException;

    int beginTransaction() throws XenException;

    /**
     * Commits (or aborts) a transaction. Returns false if another change
     * conflicted (EAGAIN): the caller retries the whole transaction.
     */
    boolean endTransaction(int transaction, boolean abort) throws XenException;

    /** Watches a path and everything below it; fires once at once, then on each change. */
    void watch(String path, String token) throws XenException;

    void unwatch(String path, String token) throws XenException;

    /** The next watch event, waiting up to {@code timeoutMillis}; empty on timeout. */
    Optional<WatchEvent> awaitWatch(long timeoutMillis) throws XenException;

    @Override
    void close();

    /** A fired watch: the path that changed and the token given to {@link #watch}. */
    record WatchEvent(String path, String token) {
    }
}
