package io.vchan.samples.cli.bench;

import java.lang.management.ManagementFactory;

/**
 * This process's CPU time (user + sys, every thread) over its measurement
 * window: from the first time a direction crosses its warm-up bytes to the
 * end of the transfer. Prints {@code cpu ns=C}, as the C driver does.
 */
final class CpuWindow {

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private long openedAt = -1;

    /** Starts the window, the first time only; from any thread. */
    synchronized void open() {
        if (openedAt < 0) {
            openedAt = OS.getProcessCpuTime();
        }
    }

    synchronized String line() {
        return "cpu ns=" + (openedAt < 0 ? 0 : OS.getProcessCpuTime() - openedAt);
    }
}
