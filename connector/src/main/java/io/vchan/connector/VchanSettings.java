package io.vchan.connector;

import com.typesafe.config.Config;
import io.vchan.bridge.ring.RingOrders;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Settings of vchan connections, read from {@code vchan} in the configuration
 * (see reference.conf for what each means) and changed per connection with the
 * {@code withX} methods. Immutable; every value is checked when it is set.
 */
public final class VchanSettings {

    /** Where channels live. */
    public enum Platform { AUTO, XEN, XENSIM, IN_JVM }

    private final Platform platform;
    private final OptionalInt localDomain;
    private final int readRingSize;
    private final int writeRingSize;
    private final int writeBufferSize;
    private final int readChunkSize;
    private final boolean halfClose;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final int eventLoopThreads;
    private final int spinBeforeSleep;
    private final String blockingDispatcher;

    private VchanSettings(Platform platform, OptionalInt localDomain, int readRingSize, int writeRingSize,
            int writeBufferSize, int readChunkSize, boolean halfClose, Duration connectTimeout,
            Duration idleTimeout, int eventLoopThreads, int spinBeforeSleep, String blockingDispatcher) {
        this.platform = Objects.requireNonNull(platform, "platform");
        this.localDomain = localDomain;
        localDomain.ifPresent(io.vchan.bridge.xen.DomainId::of);
        this.readRingSize = ringSize("read-ring-size", readRingSize);
        this.writeRingSize = ringSize("write-ring-size", writeRingSize);
        this.writeBufferSize = positive("write-buffer-size", writeBufferSize);
        this.readChunkSize = positive("read-chunk-size", readChunkSize);
        this.halfClose = halfClose;
        this.connectTimeout = nonNegative("connect-timeout", connectTimeout);
        this.idleTimeout = nonNegative("idle-timeout", idleTimeout);
        this.eventLoopThreads = positive("event-loop-threads", eventLoopThreads);
        if (spinBeforeSleep < 0) {
            throw new IllegalArgumentException("spin-before-sleep must be >= 0, not " + spinBeforeSleep);
        }
        this.spinBeforeSleep = spinBeforeSleep;
        this.blockingDispatcher = Objects.requireNonNull(blockingDispatcher, "blocking-dispatcher");
    }

    /** Reads the {@code vchan} section of {@code config}. */
    public static VchanSettings create(Config config) {
        Config c = config.getConfig("vchan");
        String domain = c.getString("local-domain");
        return new VchanSettings(
                parsePlatform(c.getString("platform")),
                domain.equals("auto") ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(domain)),
                bytes(c, "read-ring-size"),
                bytes(c, "write-ring-size"),
                bytes(c, "write-buffer-size"),
                bytes(c, "read-chunk-size"),
                c.getBoolean("half-close"),
                c.getDuration("connect-timeout"),
                optionalDuration(c, "idle-timeout"),
                c.getInt("event-loop-threads"),
                c.getInt("spin-before-sleep"),
                c.getString("blocking-dispatcher"));
    }

    private static Platform parsePlatform(String s) {
        return switch (s) {
            case "auto" -> Platform.AUTO;
            case "xen" -> Platform.XEN;
            case "xensim" -> Platform.XENSIM;
            case "in-jvm" -> Platform.IN_JVM;
            default -> throw new IllegalArgumentException(
                    "vchan.platform must be auto, xen, xensim or in-jvm, not '" + s + "'");
        };
    }

    private static int bytes(Config c, String key) {
        long v = c.getBytes(key);
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("vchan." + key + " is too large: " + v);
        }
        return (int) v;
    }

    private static Duration optionalDuration(Config c, String key) {
        String raw = c.getValue(key).unwrapped().toString();
        if (raw.equals("off") || raw.equals("false")) {
            return Duration.ZERO;
        }
        return c.getDuration(key);
    }

    private static int ringSize(String key, int v) {
        if (v < 0 || v > RingOrders.MAX_SIZE) {
            throw new IllegalArgumentException(key + " must be in 0.." + RingOrders.MAX_SIZE + " (1 MiB), not " + v);
        }
        return v;
    }

    private static int positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(key + " must be positive, not " + v);
        }
        return v;
    }

    private static Duration nonNegative(String key, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(key + " must be a non-negative duration, not " + d);
        }
        return d;
    }

    private VchanSettings copy(Platform platform, OptionalInt localDomain, int readRingSize, int writeRingSize,
            int writeBufferSize, int readChunkSize, boolean halfClose, Duration connectTimeout,
            Duration idleTimeout, int eventLoopThreads, int spinBeforeSleep, String blockingDispatcher) {
        return new VchanSettings(platform, localDomain, readRingSize, writeRingSize, writeBufferSize,
                readChunkSize, halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep,
                blockingDispatcher);
    }

    public Platform platform() {
        return platform;
    }

    /** The domain to act as, or empty for the platform's own. */
    public OptionalInt localDomain() {
        return localDomain;
    }

    public int readRingSize() {
        return readRingSize;
    }

    public int writeRingSize() {
        return writeRingSize;
    }

    public int writeBufferSize() {
        return writeBufferSize;
    }

    public int readChunkSize() {
        return readChunkSize;
    }

    public boolean halfClose() {
        return halfClose;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Zero means no idle timeout. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    public int eventLoopThreads() {
        return eventLoopThreads;
    }

    public int spinBeforeSleep() {
        return spinBeforeSleep;
    }

    public String blockingDispatcher() {
        return blockingDispatcher;
    }

    public VchanSettings withPlatform(Platform v) {
        return copy(v, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withLocalDomain(int domain) {
        return copy(platform, OptionalInt.of(domain), readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep,
                blockingDispatcher);
    }

    public VchanSettings withReadRingSize(int v) {
        return copy(platform, localDomain, v, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withWriteRingSize(int v) {
        return copy(platform, localDomain, readRingSize, v, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withWriteBufferSize(int v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, v, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withReadChunkSize(int v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, v, halfClose,
                connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withHalfClose(boolean v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                v, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withConnectTimeout(Duration v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, v, idleTimeout, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withIdleTimeout(Duration v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, v, eventLoopThreads, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withEventLoopThreads(int v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, v, spinBeforeSleep, blockingDispatcher);
    }

    public VchanSettings withSpinBeforeSleep(int v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, v, blockingDispatcher);
    }

    public VchanSettings withBlockingDispatcher(String v) {
        return copy(platform, localDomain, readRingSize, writeRingSize, writeBufferSize, readChunkSize,
                halfClose, connectTimeout, idleTimeout, eventLoopThreads, spinBeforeSleep, v);
    }

    @Override
    public String toString() {
        return "VchanSettings(platform=" + platform + ", localDomain=" + localDomain + ", readRingSize="
                + readRingSize + ", writeRingSize=" + writeRingSize + ", writeBufferSize=" + writeBufferSize
                + ", readChunkSize=" + readChunkSize + ", halfClose=" + halfClose
                + ", connectTimeout=" + connectTimeout + ", idleTimeout=" + idleTimeout + ", eventLoopThreads="
                + eventLoopThreads + ", spinBeforeSleep=" + spinBeforeSleep + ", blockingDispatcher="
                + blockingDispatcher + ")";
    }
}
