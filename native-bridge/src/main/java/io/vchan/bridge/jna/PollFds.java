package io.vchan.bridge.jna;

import com.sun.jna.Memory;

/**
 * {@code struct pollfd} in native memory, as poll(2) takes an array of them:
 * {@code int fd} at 0, {@code short events} at 4, {@code short revents} at 6,
 * 8 bytes each. The one place that knows the layout.
 */
final class PollFds {

    static final int SIZE = 8;
    private static final int FD = 0;
    private static final int EVENTS = 4;
    private static final int REVENTS = 6;

    private PollFds() {
    }

    /** Entry {@code index} waits for {@code fd} to be readable. */
    static void watchReadable(Memory fds, int index, int fd) {
        long at = (long) SIZE * index;
        fds.setInt(at + FD, fd);
        fds.setShort(at + EVENTS, LibC.POLLIN);
        fds.setShort(at + REVENTS, (short) 0);
    }

    /** After poll: whether entry {@code index}'s fd is ready (or hung up, or in error). */
    static boolean ready(Memory fds, int index) {
        return fds.getShort((long) SIZE * index + REVENTS) != 0;
    }

    /** True if {@code fd} is readable within {@code timeoutMillis} (-1: no limit; 0: now). */
    static boolean readable(int fd, long timeoutMillis) {
        try (Memory pfd = new Memory(SIZE)) {
            watchReadable(pfd, 0, fd);
            return LibC.poll(pfd, 1, (int) Math.min(Integer.MAX_VALUE, Math.max(-1, timeoutMillis))) > 0;
        }
    }
}
