package io.vchan.bridge.memory;

import io.vchan.bridge.xen.XenStorePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A XenStore transaction: a private copy of the tree, the changes made to it,
 * and the generation every node it read or wrote had when it first looked.
 * It commits only if none of those nodes changed in the real tree meanwhile;
 * then its changes are replayed there (and fire watches).
 */
final class StoreTransaction {

    enum Kind { WRITE, REMOVE, SET_PERMISSIONS }

    record Change(Kind kind, String path, byte[] value, List<XenStorePermission> permissions) {
    }

    final int id;
    final StoreTree tree;
    private final List<Change> changes = new ArrayList<>();
    /** Path to generation at first touch; 0: the node did not exist. */
    private final Map<String, Long> touched = new LinkedHashMap<>();

    StoreTransaction(int id, StoreTree snapshot) {
        this.id = id;
        this.tree = snapshot;
    }

    void touch(String abs) {
        touched.computeIfAbsent(abs, p -> {
            StoreNode n = tree.find(p);
            return n == null ? 0L : n.generation;
        });
    }

    void record(Change change) {
        changes.add(change);
    }

    /** True if every node this transaction touched is as it was in {@code real}. */
    boolean unchangedIn(StoreTree real) {
        for (Map.Entry<String, Long> e : touched.entrySet()) {
            StoreNode n = real.find(e.getKey());
            if ((n == null ? 0L : n.generation) != e.getValue()) {
                return false;
            }
        }
        return true;
    }

    List<Change> changes() {
        return changes;
    }
}
