package io.vchan.samples.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import io.vchan.connector.DomainId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

/**
 * A request a {@link GuestLink} sent and the agent has not finished
 * answering, with whom to tell. Made on the link's actor thread and used only there.
 */
abstract class PendingRequest {

    /** The connection attempt the request went out on: it dies with that connection. */
    final long attempt;

    PendingRequest(long attempt) {
        this.attempt = attempt;
    }

    /** Takes one answer line (not an error); true when the request is complete and answered. */
    abstract boolean answer(JsonNode line);

    abstract void fail(String reason);

    static final class Ping extends PendingRequest {
        private final DomainId guest;
        private final ActorRef<StatusReply<Pong>> replyTo;
        private final long sentNanos = System.nanoTime();

        Ping(long attempt, DomainId guest, ActorRef<StatusReply<Pong>> replyTo) {
            super(attempt);
            this.guest = guest;
            this.replyTo = replyTo;
        }

        @Override
        boolean answer(JsonNode line) {
            replyTo.tell(StatusReply.success(new Pong(guest, Duration.ofNanos(System.nanoTime() - sentNanos))));
            return true;
        }

        @Override
        void fail(String reason) {
            replyTo.tell(StatusReply.error(reason));
        }
    }

    /** Collects {@code out} lines until {@code exit}. */
    static final class Run extends PendingRequest {
        private final ActorRef<StatusReply<RunResult>> replyTo;
        private final List<String> output = new ArrayList<>();

        Run(long attempt, ActorRef<StatusReply<RunResult>> replyTo) {
            super(attempt);
            this.replyTo = replyTo;
        }

        @Override
        boolean answer(JsonNode line) {
            if (line.has("out")) {
                output.add(line.get("out").asText());
                return false;
            }
            replyTo.tell(StatusReply.success(new RunResult(List.copyOf(output), line.path("exit").asInt(-1))));
            return true;
        }

        @Override
        void fail(String reason) {
            replyTo.tell(StatusReply.error(reason));
        }
    }

    static final class Status extends PendingRequest {
        private final DomainId guest;
        private final ActorRef<StatusReply<GuestStatus>> replyTo;

        Status(long attempt, DomainId guest, ActorRef<StatusReply<GuestStatus>> replyTo) {
            super(attempt);
            this.guest = guest;
            this.replyTo = replyTo;
        }

        @Override
        boolean answer(JsonNode line) {
            replyTo.tell(StatusReply.success(new GuestStatus(guest, line.path("uptime_ms").asLong(),
                    line.path("hostname").asText(), line.path("pid").asLong())));
            return true;
        }

        @Override
        void fail(String reason) {
            replyTo.tell(StatusReply.error(reason));
        }
    }
}
