package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenStorePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The XenStore tree: the host's real one or a transaction's copy. Copies
 * share one generation counter with the original, so generations never
 * repeat across them.
 */
final class StoreTree {

    private final StoreNode root;
    private final AtomicLong generations;

    /** A tree with just "/", which only dom0 may use. */
    StoreTree() {
        this.generations = new AtomicLong();
        this.root = new StoreNode("", List.of(XenStorePermission.owner(DomainId.DOM0, false, false)),
                generations.incrementAndGet());
    }

    private StoreTree(StoreNode root, AtomicLong generations) {
        this.root = root;
        this.generations = generations;
    }

    StoreTree copy() {
        return new StoreTree(root.copy(), generations);
    }

    long nextGeneration() {
        return generations.incrementAndGet();
    }

    private static List<String> elements(String abs) {
        List<String> names = new ArrayList<>();
        if (!abs.equals("/")) {
            for (String n : abs.substring(1).split("/")) {
                names.add(n);
            }
        }
        return names;
    }

    /** The node at an absolute path, or null. */
    StoreNode find(String abs) {
        StoreNode n = root;
        for (String name : elements(abs)) {
            n = n.children.get(name);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** The node at {@code abs} or, if it is missing, its deepest existing ancestor. */
    StoreNode deepest(String abs) {
        StoreNode n = root;
        for (String name : elements(abs)) {
            StoreNode k = n.children.get(name);
            if (k == null) {
                return n;
            }
            n = k;
        }
        return n;
    }

    /** Creates the node and missing ancestors: each copies its parent's permissions, owned by {@code creator}. */
    StoreNode create(String abs, DomainId creator) {
        StoreNode n = root;
        for (String name : elements(abs)) {
            StoreNode k = n.children.get(name);
            if (k == null) {
                List<XenStorePermission> perms = new ArrayList<>(n.permissions());
                XenStorePermission first = perms.get(0);
                perms.set(0, new XenStorePermission(creator, first.read(), first.write()));
                k = new StoreNode(name, perms, nextGeneration());
                n.children.put(name, k);
                n.generation = nextGeneration();
            }
            n = k;
        }
        return n;
    }

    /** Removes the node at {@code abs} (not "/") with everything below it. */
    void detach(String abs) {
        StoreNode parent = find(StorePath.parent(abs));
        parent.children.remove(abs.substring(abs.lastIndexOf('/') + 1));
        parent.generation = nextGeneration();
    }
}
