package io.vchan.samples.vmm;

import io.vchan.connector.VchanPort;
import io.vchan.connector.VchanSettings;
import java.time.Duration;
import org.apache.pekko.stream.RestartSettings;

/**
 * How the manager reaches its guests: the agents' port, the connector settings
 * (connect timeout included: one attempt waits that long for an agent to
 * publish), the reconnect backoff, and how long an answer may take.
 */
public record LinkSettings(VchanPort port, VchanSettings vchan, RestartSettings restart, Duration requestTimeout) {

    /** Agents on {@link AgentProtocol#PORT}, 3 s per connect attempt, backoff 100 ms to 2 s, 30 s per request. */
    public static LinkSettings defaults(VchanSettings vchan) {
        return new LinkSettings(AgentProtocol.PORT, vchan.withConnectTimeout(Duration.ofSeconds(3)),
                RestartSettings.create(Duration.ofMillis(100), Duration.ofSeconds(2), 0.2),
                Duration.ofSeconds(30));
    }
}
