package io.vchan.bridge.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a vchan driver printed about one transfer: {@code sent|received N sha256=H}. */
public record DriverReport(long bytes, String sha256) {

    private static final Pattern LINE = Pattern.compile("(sent|received) (\\d+) sha256=([0-9a-f]{64})");

    public static DriverReport sent(PeerProcess driver, Duration timeout) throws InterruptedException {
        return sent(driver, 1, timeout);
    }

    public static DriverReport received(PeerProcess driver, Duration timeout) throws InterruptedException {
        return received(driver, 1, timeout);
    }

    /** The report of session {@code session} (from 1) of a driver that served several. */
    public static DriverReport sent(PeerProcess driver, int session, Duration timeout) throws InterruptedException {
        return parse(driver.awaitLine("sent ", session, timeout));
    }

    public static DriverReport received(PeerProcess driver, int session, Duration timeout)
            throws InterruptedException {
        return parse(driver.awaitLine("received ", session, timeout));
    }

    private static DriverReport parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) {
            throw new AssertionError("not a transfer report: " + line);
        }
        return new DriverReport(Long.parseLong(m.group(2)), m.group(3));
    }

    /** The bytes {@code sender} sent arrived at {@code receiver}, all of them, unchanged. */
    public static void assertDelivered(long expectedBytes, PeerProcess sender, PeerProcess receiver,
            Duration timeout) throws InterruptedException {
        DriverReport sent = sent(sender, timeout);
        DriverReport received = received(receiver, timeout);
        assertEquals(expectedBytes, sent.bytes(), "bytes sent by " + sender.describe());
        assertEquals(sent, received, "what arrived differs from what was sent");
    }
}
