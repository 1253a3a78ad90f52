package io.vchan.bridge.xen;

/**
 * A Xen domain id. Valid ids are 0..32751: from 32752 ({@code DOMID_FIRST_RESERVED})
 * up, ids are reserved by the hypervisor and no domain can have them.
 */
public record DomainId(int value) implements Comparable<DomainId> {

    public static final int MAX = 32751;
    public static final DomainId DOM0 = new DomainId(0);

    public DomainId {
        if (value < 0 || value > MAX) {
            throw new IllegalArgumentException(
                    "domain id " + value + " is outside 0.." + MAX
                            + " (ids from 32752 up are reserved by Xen)");
        }
    }

    public static DomainId of(int value) {
        return new DomainId(value);
    }

    @Override
    public int compareTo(DomainId o) {
        return Integer.compare(value, o.value);
    }

    @Override
    public String toString() {
        return "dom" + value;
    }
}
