package io.vchan.connector;

/**
 * A Xen domain id: 0 (dom0) to 32751. Ids from 32752 up are reserved by the
 * hypervisor and no domain can have them, so they are refused here.
 */
public record DomainId(int value) implements Comparable<DomainId> {

    /** The largest id a domain can have. */
    public static final int MAX = io.vchan.bridge.xen.DomainId.MAX;

    /** The control domain. */
    public static final DomainId DOM0 = new DomainId(0);

    /**
     * @param value the domain id, 0..{@value #MAX}
     * @throws IllegalArgumentException if {@code value} is outside 0..{@value #MAX}
     */
    public DomainId {
        io.vchan.bridge.xen.DomainId.of(value); // the one place that knows the valid range
    }

    /**
     * The domain with id {@code value}.
     *
     * @param value the domain id, 0..{@value #MAX}
     * @return the domain id
     * @throws IllegalArgumentException if {@code value} is outside 0..{@value #MAX}
     */
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
