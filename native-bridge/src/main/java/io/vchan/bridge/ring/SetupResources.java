package io.vchan.bridge.ring;

import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenException;
import java.util.List;

/** Undoes a server's or client's set-up that failed half-way: nothing it took may stay behind. */
final class SetupResources {

    private SetupResources() {
    }

    /** Closes {@code resources} newest first and unbinds {@code port} if one was bound (>= 0). */
    static void release(List<AutoCloseable> resources, EventChannels events, int port) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception ignored) {
                // keep releasing
            }
        }
        if (port >= 0) {
            try {
                events.unbind(port);
            } catch (XenException ignored) {
                // already gone
            }
        }
    }
}
