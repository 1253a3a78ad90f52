package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenStorePermission;
import java.util.List;

/**
 * XenStore operations on one tree as one domain: the real tree (whose changes
 * fire watches) or a transaction's copy (whose reads and writes are noted for
 * the conflict check). Replaying a committed transaction skips the permission
 * checks: they passed on the copy.
 */
final class StoreContext {

    private final StoreTree tree;
    private final DomainId who;
    private final boolean check;
    private final StoreWatches watches;
    private final StoreTransaction transaction;

    private StoreContext(StoreTree tree, DomainId who, boolean check, StoreWatches watches,
            StoreTransaction transaction) {
        this.tree = tree;
        this.who = who;
        this.check = check;
        this.watches = watches;
        this.transaction = transaction;
    }

    static StoreContext direct(StoreTree real, DomainId who, StoreWatches watches) {
        return new StoreContext(real, who, true, watches, null);
    }

    static StoreContext inTransaction(StoreTransaction t, DomainId who) {
        return new StoreContext(t.tree, who, true, null, t);
    }

    static StoreContext replay(StoreTree real, DomainId who, StoreWatches watches) {
        return new StoreContext(real, who, false, watches, null);
    }

    private void touch(String abs) {
        if (transaction != null) {
            transaction.touch(abs);
        }
    }

    /** Touches {@code abs} and the ancestors a creation there would add, up to the first existing one. */
    private void touchWithParents(String abs) {
        String p = abs;
        while (true) {
            touch(p);
            if (p.equals("/") || tree.find(p) != null) {
                return;
            }
            p = StorePath.parent(p);
        }
    }

    private void denied(String call, String abs) throws XenException {
        throw new XenException(call, Errno.EACCES, who + " may not " + (call.equals("xs_read")
                || call.equals("xs_directory") ? "read " : "change ") + abs);
    }

    /**
     * The node, readable by us; ENOENT if missing, or EACCES if missing below
     * a node we may not read (xenstored's errno_from_parents).
     */
    StoreNode read(String call, String abs) throws XenException {
        touch(abs);
        StoreNode n = tree.find(abs);
        if (n == null) {
            if (check && !tree.deepest(abs).allows(who, false)) {
                denied(call, abs);
            }
            throw new XenException(call, Errno.ENOENT, abs);
        }
        if (check && !n.allows(who, false)) {
            denied(call, abs);
        }
        return n;
    }

    /** Writes a value, creating the node (and missing ancestors) if we may write the deepest existing one. */
    void write(String abs, byte[] value) throws XenException {
        touchWithParents(abs);
        StoreNode n = tree.find(abs);
        if (check && !(n != null ? n : tree.deepest(abs)).allows(who, true)) {
            denied("xs_write", abs);
        }
        if (n == null) {
            n = tree.create(abs, who);
        }
        n.setValue(value);
        n.generation = tree.nextGeneration();
        record(StoreTransaction.Kind.WRITE, abs, value, null);
        if (watches != null) {
            watches.fire(abs, n);
        }
    }

    /** Removes a node and its subtree; a missing node is fine if its parent exists, as in xenstored. */
    void remove(String abs) throws XenException {
        touchWithParents(abs);
        if (abs.equals("/")) {
            throw new XenException("xs_rm", Errno.EINVAL, "the root cannot be removed");
        }
        StoreNode n = tree.find(abs);
        if (n == null) {
            if (tree.find(StorePath.parent(abs)) == null) {
                throw new XenException("xs_rm", Errno.ENOENT, abs);
            }
            return;
        }
        if (check && !n.allows(who, true)) {
            denied("xs_rm", abs);
        }
        if (watches != null) {
            watches.fire(abs, n);
            watches.fireRemovedDescendants(abs, n);
        }
        tree.detach(abs);
        record(StoreTransaction.Kind.REMOVE, abs, null, null);
    }

    /** Only the owner (with write access) or dom0 may change a node's permissions. */
    void setPermissions(String abs, List<XenStorePermission> permissions) throws XenException {
        touch(abs);
        StoreNode n = tree.find(abs);
        if (n == null) {
            throw new XenException("xs_set_permissions", Errno.ENOENT, abs);
        }
        if (check && !who.equals(DomainId.DOM0) && (!n.allows(who, true) || !n.owner().equals(who))) {
            denied("xs_set_permissions", abs);
        }
        n.setPermissions(permissions);
        n.generation = tree.nextGeneration();
        record(StoreTransaction.Kind.SET_PERMISSIONS, abs, null, permissions);
        if (watches != null) {
            watches.fire(abs, n);
        }
    }

    private void record(StoreTransaction.Kind kind, String abs, byte[] value, List<XenStorePermission> perms) {
        if (transaction != null) {
            transaction.record(new StoreTransaction.Change(kind, abs, value == null ? null : value.clone(),
                    perms == null ? null : List.copyOf(perms)));
        }
    }

    /** Applies a committed transaction's change to the real tree. */
    void apply(StoreTransaction.Change c) throws XenException {
        switch (c.kind()) {
            case WRITE -> write(c.path(), c.value());
            case REMOVE -> remove(c.path());
            case SET_PERMISSIONS -> setPermissions(c.path(), c.permissions());
            default -> throw new IllegalStateException("unknown change " + c.kind());
        }
    }
}
