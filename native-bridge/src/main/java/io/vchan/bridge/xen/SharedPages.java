package io.vchan.bridge.xen;

import java.nio.ByteBuffer;

/** Pages this domain granted to another one; {@link #close()} revokes the grants. */
public interface SharedPages extends AutoCloseable {

    /** One grant reference per page, in order. */
    int[] refs();

    /** The pages, contiguous, read-write for the sharer. Invalid after close. */
    ByteBuffer memory();

    @Override
    void close();
}
