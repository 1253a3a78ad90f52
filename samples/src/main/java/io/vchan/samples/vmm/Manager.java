package io.vchan.samples.vmm;

import io.vchan.bridge.xen.DomainId;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The VM manager: one supervised {@link GuestLink} child per guest domain, and
 * the one address callers ask about guests (with {@code AskPattern.askWithStatus}:
 * an unknown or unreachable guest fails the ask with the reason).
 */
public final class Manager extends AbstractBehavior<Manager.Command> {

    public sealed interface Command {
    }

    public record Ping(DomainId guest, ActorRef<StatusReply<Pong>> replyTo) implements Command {
    }

    /** Runs {@code cmd} in the guest; the reply has the whole output once the command has exited. */
    public record Run(DomainId guest, List<String> cmd, ActorRef<StatusReply<RunResult>> replyTo)
            implements Command {
    }

    public record Status(DomainId guest, ActorRef<StatusReply<GuestStatus>> replyTo) implements Command {
    }

    /** Every guest and its link, by domain. */
    public record Guests(ActorRef<List<GuestInfo>> replyTo) implements Command {
    }

    /** A link's report about itself. */
    private record LinkChanged(GuestInfo info) implements Command {
    }

    private final Map<DomainId, ActorRef<GuestLink.Command>> links = new HashMap<>();
    private final Map<DomainId, GuestInfo> guests = new TreeMap<>(Comparator.comparingInt(DomainId::value));

    public static Behavior<Command> create(List<DomainId> guests, LinkSettings settings) {
        return Behaviors.setup(ctx -> new Manager(ctx, guests, settings));
    }

    private Manager(ActorContext<Command> ctx, List<DomainId> guestDomains, LinkSettings settings) {
        super(ctx);
        ActorRef<GuestInfo> reports = ctx.messageAdapter(GuestInfo.class, LinkChanged::new);
        for (DomainId guest : guestDomains) {
            // a link whose stream broke is started afresh; its guest stays listed meanwhile
            Behavior<GuestLink.Command> link = Behaviors.supervise(GuestLink.create(guest, settings, reports))
                    .onFailure(SupervisorStrategy.restart());
            links.put(guest, ctx.spawn(link, "guest-" + guest.value()));
            guests.put(guest, new GuestInfo(guest, LinkState.CONNECTING, 0, "starting"));
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Ping.class, m -> forward(m.guest(), m.replyTo(), GuestLink.Ping::new))
                .onMessage(Run.class, m -> forward(m.guest(), m.replyTo(), r -> new GuestLink.Run(m.cmd(), r)))
                .onMessage(Status.class, m -> forward(m.guest(), m.replyTo(), GuestLink.Status::new))
                .onMessage(Guests.class, m -> {
                    m.replyTo().tell(List.copyOf(guests.values()));
                    return this;
                })
                .onMessage(LinkChanged.class, m -> {
                    guests.put(m.info().guest(), m.info());
                    return this;
                })
                .build();
    }

    private <T> Behavior<Command> forward(DomainId guest, ActorRef<StatusReply<T>> replyTo,
            Function<ActorRef<StatusReply<T>>, GuestLink.Command> request) {
        ActorRef<GuestLink.Command> link = links.get(guest);
        if (link == null) {
            replyTo.tell(StatusReply.error("no guest dom" + guest.value()));
        } else {
            link.tell(request.apply(replyTo));
        }
        return this;
    }
}
