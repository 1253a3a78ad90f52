package io.vchan.bridge.memory;

/**
 * What an {@link InMemoryPlatform} holds right now, for leak checks: every
 * count is 0 once everything opened on it has been closed.
 *
 * @param openHandles   event-channel, grant and XenStore handles not yet closed
 * @param eventWaiters  event waiters not yet closed
 * @param liveGrants    grant refs (one per shared page) not yet revoked
 * @param liveMappings  mappings of granted pages not yet unmapped
 * @param boundPorts    event-channel ports that exist, including ones kept
 *                      only by a pending unmap notification
 * @param watches       registered XenStore watches
 * @param openTransactions XenStore transactions neither committed nor aborted
 */
public record Resources(int openHandles, int eventWaiters, int liveGrants, int liveMappings, int boundPorts,
        int watches, int openTransactions) {

    public static final Resources NONE = new Resources(0, 0, 0, 0, 0, 0, 0);

    /** True if nothing is held. */
    public boolean isEmpty() {
        return equals(NONE);
    }
}
