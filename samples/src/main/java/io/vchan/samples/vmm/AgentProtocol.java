package io.vchan.samples.vmm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vchan.connector.VchanPort;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.util.ByteString;

/**
 * The manager ↔ guest-agent protocol: one JSON object per line, each request
 * carrying an {@code id} that every answer line repeats.
 *
 * <pre>
 * {"id":1,"op":"ping"}                    → {"id":1,"pong":true}
 * {"id":2,"op":"run","cmd":["echo","hi"]} → {"id":2,"out":"hi"} … {"id":2,"exit":0}
 * {"id":3,"op":"status"}                  → {"id":3,"uptime_ms":…,"hostname":…,"pid":…,"domain":…}
 * anything the agent cannot do            → {"id":n,"error":"…"}
 * </pre>
 */
public final class AgentProtocol {

    /** The vchan port the agent serves: {@code /local/domain/<guest>/data/vchan/<manager>/vmm}. */
    public static final VchanPort PORT = VchanPort.of("vmm");
    /** Longest line either side accepts: an output line of a command, typically. */
    public static final int MAX_LINE = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteString NEWLINE = ByteString.fromString("\n");

    private AgentProtocol() {
    }

    static ObjectNode message(long id) {
        return JSON.createObjectNode().put("id", id);
    }

    static ObjectNode ping(long id) {
        return message(id).put("op", "ping");
    }

    static ObjectNode status(long id) {
        return message(id).put("op", "status");
    }

    static ObjectNode run(long id, java.util.List<String> cmd) {
        ObjectNode m = message(id).put("op", "run");
        cmd.forEach(m.putArray("cmd")::add);
        return m;
    }

    /** One line; Jackson escapes newlines inside strings, so a message never spans two. */
    static ByteString encode(JsonNode message) {
        try {
            return ByteString.fromString(JSON.writeValueAsString(message)).concat(NEWLINE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message, e);
        }
    }

    static JsonNode decode(ByteString line) throws JsonProcessingException {
        return JSON.readTree(line.utf8String());
    }

    /** Bytes to lines, without the newline. */
    static Flow<ByteString, ByteString, NotUsed> lines() {
        return Framing.delimiter(NEWLINE, MAX_LINE, FramingTruncation.ALLOW);
    }
}
