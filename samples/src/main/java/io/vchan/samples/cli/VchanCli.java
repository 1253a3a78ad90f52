package io.vchan.samples.cli;

import io.vchan.samples.cli.bench.BenchCommand;
import io.vchan.samples.cli.bench.BenchPeerCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code vchan}: vchan from the command line, over Xen or xensim
 * ({@code XENSIM_DIR} / {@code XENSIM_DOMID} as Xen's C tools on xensim).
 */
@Command(name = "vchan", mixinStandardHelpOptions = true, versionProvider = VchanCli.Version.class,
        description = "Streams between Xen domains over vchan.",
        subcommands = {CatCommand.class, ProxyCommand.class, DemoCommand.class, DemoPeerCommand.class,
                VmManagerCommand.class, GuestAgentCommand.class, BenchCommand.class, BenchPeerCommand.class})
public final class VchanCli {

    public static void main(String[] args) {
        // SLF4J set up before any other thread logs: set up concurrently, it replays the early
        // calls with a warning on stderr, which carries the tool's one line of failure
        LoggerFactory.getILoggerFactory();
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (see {@link ExitCodes}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new VchanCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Failure failure = Failure.of(e);
            cmd.getErr().println("vchan " + cmd.getCommandName() + ": " + failure.message());
            return failure.exitCode();
        });
        return cli.execute(args);
    }

    /**
     * {@code vchan --version}: the build's version, from {@code version.properties} beside this class
     * (which Maven fills in), and the Java runtime's.
     */
    public static final class Version implements CommandLine.IVersionProvider {

        static final String RESOURCE = "version.properties";

        /** The version of the build this class is from, e.g. {@code 0.1.0-SNAPSHOT}. */
        public static String build() {
            try (InputStream in = VchanCli.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is missing beside " + VchanCli.class.getName());
                }
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version", "");
                if (version.isEmpty() || version.startsWith("${")) {
                    throw new IllegalStateException(RESOURCE + " was not filled in by the build: version=" + version);
                }
                return version;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String[] getVersion() {
            return new String[] {
                    "vchan " + build(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name")
                            + " " + System.getProperty("java.vm.version") + ", " + System.getProperty("java.vendor") + ")"
            };
        }
    }
}
