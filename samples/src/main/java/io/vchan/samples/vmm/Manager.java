package io.vchan.samples.vmm;

import io.vchan.bridge.xen.XenException;
import io.vchan.connector.DomainId;
import io.vchan.connector.impl.VchanRuntime;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;

/**
 * The VM manager: one supervised {@link GuestLink} child per guest, and the one
 * address callers ask about guests, by name (with {@code AskPattern.askWithStatus}:
 * an unknown or unreachable guest fails the ask with the reason). Guests known
 * by name are looked up in this domain's XenStore ({@link GuestDirectory}).
 */
public final class Manager extends AbstractBehavior<Manager.Command> {

    public sealed interface Command {
    }

    public record Ping(String guest, ActorRef<StatusReply<Pong>> replyTo) implements Command {
    }

    /** Runs {@code cmd} in the guest; the reply has the whole output once the command has exited. */
    public record Run(String guest, List<String> cmd, ActorRef<StatusReply<RunResult>> replyTo)
            implements Command {
    }

    public record Status(String guest, ActorRef<StatusReply<GuestStatus>> replyTo) implements Command {
    }

    /** Every guest and its link, by name. */
    public record Guests(ActorRef<List<GuestInfo>> replyTo) implements Command {
    }

    /** A link's report about itself. */
    private record LinkChanged(GuestInfo info) implements Command {
    }

    private final Map<String, ActorRef<GuestLink.Command>> links = new HashMap<>();
    private final Map<String, GuestInfo> guests = new TreeMap<>();
    private final GuestDirectory directory;

    /** A manager of {@code guests}, each name once. */
    public static Behavior<Command> create(List<GuestAddress> guests, LinkSettings settings) {
        return Behaviors.setup(ctx -> new Manager(ctx, guests, settings));
    }

    /** A manager of guests at fixed domains, named {@code domN}. */
    public static Behavior<Command> forDomains(List<DomainId> domains, LinkSettings settings) {
        return create(domains.stream().map(GuestAddress::domain).toList(), settings);
    }

    private Manager(ActorContext<Command> ctx, List<GuestAddress> addresses, LinkSettings settings)
            throws XenException {
        super(ctx);
        // guests' names are the toolstack's XenStore entries, beyond the connector's API: read with its runtime's store
        VchanRuntime runtime = VchanRuntime.get(ctx.getSystem());
        this.directory = new GuestDirectory(runtime.platform().openXenStore(runtime.localDomain(settings.vchan())));
        ActorRef<GuestInfo> reports = ctx.messageAdapter(GuestInfo.class, LinkChanged::new);
        for (GuestAddress guest : addresses) {
            if (links.containsKey(guest.name())) {
                directory.close();
                throw new IllegalArgumentException("guest " + guest.name() + " is listed twice");
            }
            // a link whose stream broke is started afresh; its guest stays listed meanwhile
            Behavior<GuestLink.Command> link = Behaviors.supervise(GuestLink.create(guest, directory, settings,
                    reports)).onFailure(SupervisorStrategy.restart());
            links.put(guest.name(), ctx.spawn(link, "guest-" + URLEncoder.encode(guest.name(),
                    StandardCharsets.UTF_8)));
            guests.put(guest.name(), new GuestInfo(guest.name(), Optional.empty(), LinkState.CONNECTING, 0,
                    "starting"));
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
                .onSignal(PostStop.class, s -> {
                    directory.close(); // the links stopped first: children stop before their parent
                    return this;
                })
                .build();
    }

    private <T> Behavior<Command> forward(String guest, ActorRef<StatusReply<T>> replyTo,
            Function<ActorRef<StatusReply<T>>, GuestLink.Command> request) {
        ActorRef<GuestLink.Command> link = links.get(guest);
        if (link == null) {
            replyTo.tell(StatusReply.error("no guest " + guest));
        } else {
            link.tell(request.apply(replyTo));
        }
        return this;
    }
}
