package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.MappedPages;
import io.vchan.bridge.xen.XenException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Maps pages granted to one domain; closing it unmaps them all, firing their notifications. */
final class MemoryGrantMapper extends MemoryHandle implements GrantMapper {

    private final GrantTable table;
    private final Set<GrantTable.Mapping> mappings = ConcurrentHashMap.newKeySet();

    MemoryGrantMapper(DomainId domain, HandleRegistry registry, GrantTable table) {
        super(domain, registry);
        this.table = table;
    }

    @Override
    public MappedPages map(DomainId granter, int[] refs, boolean writable) throws XenException {
        if (refs.length == 0) {
            throw new IllegalArgumentException("no grant refs to map");
        }
        ensureOpen("xengnttab_map_domain_grant_refs");
        return track(table.map(domain(), granter, refs.clone(), writable, NO_NOTIFY, NO_NOTIFY));
    }

    @Override
    public MappedPages mapPageWithNotify(DomainId granter, int ref, boolean writable, int notifyOffset,
            int notifyPort) throws XenException {
        ensureOpen("xengnttab_map_grant_ref_notify");
        return track(table.map(domain(), granter, new int[] {ref}, writable, notifyOffset, notifyPort));
    }

    private MappedPages track(GrantTable.Mapping mapping) {
        mappings.add(mapping);
        if (isClosed()) {
            // Closed while we mapped: the close may have missed this one.
            unmap(mapping);
        }
        return new Mapped(mapping);
    }

    private void unmap(GrantTable.Mapping mapping) {
        mappings.remove(mapping);
        mapping.unmap();
    }

    @Override
    void release() {
        for (GrantTable.Mapping m : List.copyOf(mappings)) {
            unmap(m);
        }
    }

    @Override
    public String toString() {
        return "in-JVM grant mapper of " + domain();
    }

    private final class Mapped implements MappedPages {
        private final GrantTable.Mapping mapping;

        Mapped(GrantTable.Mapping mapping) {
            this.mapping = mapping;
        }

        @Override
        public ByteBuffer memory() {
            return mapping.memory;
        }

        @Override
        public void close() {
            unmap(mapping);
        }
    }
}
