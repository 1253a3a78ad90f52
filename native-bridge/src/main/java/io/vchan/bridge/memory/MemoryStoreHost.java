package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStorePermission;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The host's xenstored: the tree, the watches and the open transactions of
 * every handle, behind one lock (xenstored is single-threaded too). Paths
 * arrive absolute; handles resolve relative ones first.
 *
 * <p>Lock order: this host, then a handle's watch queue.
 */
final class MemoryStoreHost {

    /** xensim's limit per connection. */
    static final int MAX_TRANSACTIONS_PER_HANDLE = 64;

    private final StoreTree tree = new StoreTree();
    private final StoreWatches watches = new StoreWatches();
    private final Map<MemoryXenStore, Map<Integer, StoreTransaction>> transactions = new HashMap<>();
    private final Map<MemoryXenStore, Integer> lastTransactionId = new HashMap<>();
    private int openTransactions;

    MemoryStoreHost() {
        List<XenStorePermission> dom0Only = List.of(XenStorePermission.owner(DomainId.DOM0, false, false));
        ensure("/local", "", dom0Only);
        ensure("/local/domain", "", dom0Only);
    }

    private void ensure(String abs, String value, List<XenStorePermission> perms) {
        if (tree.find(abs) == null) {
            StoreNode n = tree.create(abs, DomainId.DOM0);
            n.setValue(value.getBytes(StandardCharsets.US_ASCII));
            n.setPermissions(perms);
        }
    }

    /**
     * A domain's first handle: its home directory (dom0 owns it, the guest may
     * read it), its {@code domid} key and a {@code data} directory it owns, as
     * the toolstack makes them; then {@code @introduceDomain} fires.
     */
    synchronized void introduce(DomainId domain) {
        String home = StorePath.home(domain);
        List<XenStorePermission> guestReads = domain.equals(DomainId.DOM0)
                ? List.of(XenStorePermission.owner(DomainId.DOM0, false, false))
                : List.of(XenStorePermission.owner(DomainId.DOM0, false, false), XenStorePermission.readOnly(domain));
        ensure(home, "", guestReads);
        ensure(home + "/domid", Integer.toString(domain.value()), guestReads);
        ensure(home + "/data", "", List.of(XenStorePermission.owner(domain, false, false)));
        watches.fireSpecial(StoreWatches.INTRODUCE);
    }

    /** A domain's last handle closed: its nodes stay (as on xensim), {@code @releaseDomain} fires. */
    synchronized void release(DomainId domain) {
        watches.fireSpecial(StoreWatches.RELEASE);
    }

    private StoreContext context(MemoryXenStore h, int transaction, String call) throws XenException {
        if (transaction == 0) {
            return StoreContext.direct(tree, h.domain(), watches);
        }
        StoreTransaction t = transactions.getOrDefault(h, Map.of()).get(transaction);
        if (t == null) {
            throw new XenException(call, Errno.ENOENT, "no transaction " + transaction + " on this handle");
        }
        return StoreContext.inTransaction(t, h.domain());
    }

    /** Empty for a missing node, as libxenstore's ENOENT; an unknown transaction is still an error. */
    synchronized Optional<byte[]> read(MemoryXenStore h, int transaction, String abs) throws XenException {
        StoreContext x = context(h, transaction, "xs_read");
        try {
            return Optional.of(x.read("xs_read", abs).value());
        } catch (XenException e) {
            if (e.errno() == Errno.ENOENT) {
                return Optional.empty();
            }
            throw e;
        }
    }

    synchronized List<String> directory(MemoryXenStore h, int transaction, String abs) throws XenException {
        return new ArrayList<>(context(h, transaction, "xs_directory").read("xs_directory", abs).children.keySet());
    }

    synchronized void write(MemoryXenStore h, int transaction, String abs, byte[] value) throws XenException {
        context(h, transaction, "xs_write").write(abs, value);
    }

    synchronized void remove(MemoryXenStore h, int transaction, String abs) throws XenException {
        context(h, transaction, "xs_rm").remove(abs);
    }

    synchronized void setPermissions(MemoryXenStore h, int transaction, String abs,
            List<XenStorePermission> permissions) throws XenException {
        context(h, transaction, "xs_set_permissions").setPermissions(abs, permissions);
    }

    synchronized int begin(MemoryXenStore h) throws XenException {
        Map<Integer, StoreTransaction> mine = transactions.computeIfAbsent(h, k -> new HashMap<>());
        if (mine.size() >= MAX_TRANSACTIONS_PER_HANDLE) {
            throw new XenException("xs_transaction_start", Errno.ENOSPC, "too many open transactions");
        }
        int id = lastTransactionId.merge(h, 1, (a, b) -> a == Integer.MAX_VALUE ? 1 : a + 1);
        mine.put(id, new StoreTransaction(id, tree.copy()));
        openTransactions++;
        return id;
    }

    /** Ends a transaction either way; false if committing conflicted (EAGAIN). */
    synchronized boolean end(MemoryXenStore h, int transaction, boolean abort) throws XenException {
        Map<Integer, StoreTransaction> mine = transactions.getOrDefault(h, Map.of());
        StoreTransaction t = mine.get(transaction);
        if (t == null) {
            throw new XenException("xs_transaction_end", Errno.ENOENT, "no transaction " + transaction);
        }
        mine.remove(transaction);
        openTransactions--;
        if (abort) {
            return true;
        }
        if (!t.unchangedIn(tree)) {
            return false;
        }
        StoreContext real = StoreContext.replay(tree, h.domain(), watches);
        for (StoreTransaction.Change c : t.changes()) {
            try {
                real.apply(c);
            } catch (XenException cannotHappen) {
                // Every node it needs was checked unchanged above.
                throw new IllegalStateException("replaying a checked transaction failed", cannotHappen);
            }
        }
        return true;
    }

    synchronized void watch(MemoryXenStore h, String path, String token) throws XenException {
        watches.add(h, path, token);
    }

    synchronized void unwatch(MemoryXenStore h, String path, String token) throws XenException {
        watches.remove(h, path, token);
    }

    /** A handle closed: its transactions end unapplied, its watches go. */
    synchronized void closed(MemoryXenStore h) {
        Map<Integer, StoreTransaction> mine = transactions.remove(h);
        if (mine != null) {
            openTransactions -= mine.size();
        }
        lastTransactionId.remove(h);
        watches.removeAll(h);
    }

    synchronized int watchCount() {
        return watches.count();
    }

    synchronized int transactionCount() {
        return openTransactions;
    }
}
