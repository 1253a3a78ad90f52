package io.vchan.bridge.ring;

import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.XenException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * What a server's or client's set-up has taken so far, to hand to its
 * endpoint or, if the set-up fails half-way, to give back: nothing it took
 * may stay behind.
 */
final class SetupResources {

    private final EventChannels events;
    private final List<AutoCloseable> taken = new ArrayList<>();
    private OptionalInt port = OptionalInt.empty();

    SetupResources(EventChannels events) {
        this.events = events;
    }

    /** Records the port just bound on {@code events}; returns it. */
    int bound(int boundPort) {
        port = OptionalInt.of(boundPort);
        return boundPort;
    }

    /** Records {@code resource} (a handle, a mapping, a share); returns it. */
    <T extends AutoCloseable> T add(T resource) {
        taken.add(resource);
        return resource;
    }

    /** What was taken, oldest first: the endpoint closes them newest first, as {@link #release} does. */
    List<AutoCloseable> resources() {
        return taken;
    }

    /** The set-up failed: closes what it took, newest first, then unbinds the port if one was bound. */
    void release() {
        for (int i = taken.size() - 1; i >= 0; i--) {
            try {
                taken.get(i).close();
            } catch (Exception ignored) {
                // keep releasing
            }
        }
        port.ifPresent(p -> {
            try {
                events.unbind(p);
            } catch (XenException ignored) {
                // already gone
            }
        });
    }
}
