package io.vchan.bridge.xen;

import java.nio.ByteBuffer;

/** Another domain's granted pages mapped here; {@link #close()} unmaps them. */
public interface MappedPages extends AutoCloseable {

    /** The pages, contiguous; read-only unless mapped writable. Invalid after close. */
    ByteBuffer memory();

    @Override
    void close();
}
