package io.memescope.infra.stack;

/** Log4j 2 configuration of the Java services: everything to stdout, which goes to the log file. */
final class Log4jConfig {
  private Log4jConfig() {}

  static final String CONSOLE =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <Configuration status="WARN">
        <Appenders>
          <Console name="out" target="SYSTEM_OUT">
            <PatternLayout pattern="%d{ISO8601} %-5p [%t] %c{1.} - %m%n"/>
          </Console>
        </Appenders>
        <Loggers>
          <Logger name="org.apache.kafka.clients" level="WARN"/>
          <Logger name="org.apache.flink.shaded" level="WARN"/>
          <Root level="INFO">
            <AppenderRef ref="out"/>
          </Root>
        </Loggers>
      </Configuration>
      """;
}
