package io.vchan.samples.vmm;

import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStore;
import io.vchan.connector.DomainId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * The guests' names as the toolstack keeps them: {@code xl create} writes
 * {@code /local/domain/N/name}, and {@code xl destroy} removes the directory.
 * One XenStore connection of the manager's domain, shared by its links (calls
 * are serialized; each is a few reads, made on a blocking thread).
 */
final class GuestDirectory implements AutoCloseable {

    /** xl's limit on domain names is well below this; a longer value is not a name we asked for. */
    private static final int MAX_NAME = 64;

    private final XenStore store;
    /** Guarded by this: a lookup still queued when the manager stops must not touch a closed handle. */
    private boolean closed;

    GuestDirectory(XenStore store) {
        this.store = store;
    }

    static String requireValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME
                || !name.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '/')) {
            throw new IllegalArgumentException("a guest name is 1 to " + MAX_NAME
                    + " printable ASCII characters without '/' or spaces, not "
                    + (name == null ? "null" : "'" + name.substring(0, Math.min(name.length(), MAX_NAME)) + "'"));
        }
        return name;
    }

    /**
     * The domain now called {@code name}. While a destroyed guest's directory
     * lingers beside its successor's, the newer (higher) domain id wins.
     */
    synchronized DomainId domainOf(String name) throws XenException, NoSuchGuestException {
        if (closed) {
            throw new IllegalStateException("the manager stopped");
        }
        byte[] wanted = name.getBytes(StandardCharsets.US_ASCII);
        DomainId found = null;
        for (String entry : store.directory(0, "/local/domain")) {
            Optional<DomainId> domain = parseDomain(entry);
            if (domain.isEmpty() || (found != null && domain.get().value() < found.value())) {
                continue;
            }
            Optional<byte[]> value = store.read(0, "/local/domain/" + entry + "/name");
            if (value.isPresent() && Arrays.equals(value.get(), wanted)) {
                found = domain.get();
            }
        }
        if (found == null) {
            throw new NoSuchGuestException(name);
        }
        return found;
    }

    private static Optional<DomainId> parseDomain(String entry) {
        if (entry.isEmpty() || entry.length() > 5 || !entry.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        int value = Integer.parseInt(entry);
        return value <= DomainId.MAX ? Optional.of(DomainId.of(value)) : Optional.empty();
    }

    @Override
    public synchronized void close() {
        closed = true;
        store.close();
    }

    /** No domain has the name (not created yet, or destroyed). */
    static final class NoSuchGuestException extends Exception {
        NoSuchGuestException(String name) {
            super("no domain is named '" + name + "'");
        }
    }
}
