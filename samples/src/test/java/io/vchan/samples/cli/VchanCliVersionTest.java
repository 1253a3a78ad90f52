package io.vchan.samples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code vchan --version} prints the version of the build, as Maven filtered it into version.properties. */
class VchanCliVersionTest {

    @Test
    void versionOptionPrintsTheBuildsVersion() throws IOException {
        String projectVersion = System.getProperty("vchan.project.version");
        assertNotNull(projectVersion, "surefire passes the project's version as vchan.project.version");
        String filtered = filteredVersion();
        assertEquals(projectVersion, filtered, "version.properties holds the project's version");

        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new VchanCli());
        cli.setOut(new PrintWriter(out, true));
        int exitCode = cli.execute("--version");

        assertEquals(0, exitCode);
        String printed = out.toString();
        assertTrue(printed.contains(filtered), printed);
        String[] lines = printed.split("\\R");
        assertEquals("vchan " + projectVersion, lines[0]);
        assertTrue(lines.length > 1 && lines[1].startsWith("Java " + System.getProperty("java.version")), printed);
    }

    private static String filteredVersion() throws IOException {
        try (InputStream in = VchanCli.class.getResourceAsStream("version.properties")) {
            assertNotNull(in, "version.properties beside VchanCli");
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        }
    }
}
