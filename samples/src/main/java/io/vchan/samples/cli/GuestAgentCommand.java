package io.vchan.samples.cli;

import io.vchan.connector.DomainId;
import io.vchan.connector.Vchan;
import io.vchan.connector.VchanPort;
import io.vchan.samples.vmm.GuestAgent;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vchan guest-agent}: the VM-manager sample's agent in this domain,
 * serving the manager's domain until killed.
 */
@Command(name = "guest-agent", mixinStandardHelpOptions = true,
        description = "Serve the VM-manager sample's agent protocol (ping, run, status) to the manager's domain.")
final class GuestAgentCommand implements Callable<Integer> {

    @Option(names = "--manager-domain", defaultValue = "0",
            description = "The domain the manager runs in (default ${DEFAULT-VALUE}).")
    int managerDomain;

    @Option(names = "--port", defaultValue = "vmm", description = "The vchan port (default ${DEFAULT-VALUE}).")
    String port;

    @Override
    public Integer call() throws Exception {
        DomainId manager = DomainId.of(managerDomain);
        VchanPort vchanPort = VchanPort.of(port);
        ActorSystem<Void> system = CliSystem.create("vchan-guest-agent");
        try {
            GuestAgent.Running agent = GuestAgent.serve(system, manager, vchanPort, Vchan.get(system).settings(),
                    connection -> System.out.println("guest-agent: manager in dom" + connection.peerDomain().value()
                            + " connected")).toCompletableFuture().get();
            System.out.println("guest-agent: dom" + agent.binding().localDomain().value() + " serving dom"
                    + managerDomain + " at " + agent.binding().xenStorePath());
            agent.binding().whenUnbound().toCompletableFuture().get();
            return ExitCodes.OK;
        } finally {
            system.terminate();
        }
    }
}
