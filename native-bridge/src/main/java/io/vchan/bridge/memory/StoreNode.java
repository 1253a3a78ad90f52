package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.XenStorePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One XenStore node: a value, children and Xen's permission list. The
 * generation changes whenever the node or its list of children does, which
 * is what transactions compare.
 */
final class StoreNode {

    final String name;
    final Map<String, StoreNode> children = new LinkedHashMap<>();
    private byte[] value = new byte[0];
    private List<XenStorePermission> permissions;
    long generation;

    StoreNode(String name, List<XenStorePermission> permissions, long generation) {
        this.name = name;
        this.permissions = List.copyOf(permissions);
        this.generation = generation;
    }

    byte[] value() {
        return value.clone();
    }

    void setValue(byte[] v) {
        value = v.clone();
    }

    List<XenStorePermission> permissions() {
        return permissions;
    }

    void setPermissions(List<XenStorePermission> p) {
        permissions = List.copyOf(p);
    }

    DomainId owner() {
        return permissions.get(0).domain();
    }

    /**
     * Xen's rule: dom0 and the owner may do anything; a domain listed after the
     * first entry has that entry's access; everyone else the first entry's.
     */
    boolean allows(DomainId who, boolean write) {
        if (who.equals(DomainId.DOM0) || owner().equals(who)) {
            return true;
        }
        XenStorePermission applies = permissions.get(0);
        for (int i = 1; i < permissions.size(); i++) {
            if (permissions.get(i).domain().equals(who)) {
                applies = permissions.get(i);
                break;
            }
        }
        return write ? applies.write() : applies.read();
    }

    /** A deep copy, generations included: a transaction's snapshot. */
    StoreNode copy() {
        StoreNode c = new StoreNode(name, permissions, generation);
        c.value = value;
        for (StoreNode k : children.values()) {
            c.children.put(k.name, k.copy());
        }
        return c;
    }
}
