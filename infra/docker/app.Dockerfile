# The application image: crawler, serving, rater and the schema Job, each started with the main
# class and settings file that `./memescope up` uses (infra/k8s/base/*.yaml set the command).
#   docker build -f infra/docker/app.Dockerfile -t memescope/app:0.1.0-SNAPSHOT .
# Built from the repository root; the build runs the same `mvn package` as ./memescope.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -ntp -DskipTests -Dspotless.check.skip=true package \
 && mkdir -p /out/lib \
 # Every module's runtime classpath (target/classpath.txt, as the local stack reads it), in one
 # directory: the modules share core and their libraries are the parent POM's versions.
 && for m in core crawler serving rater-web; do \
      cp "$m"/target/memescope-*-0.1.0-SNAPSHOT.jar /out/lib/ ; \
      if [ -f "$m/target/classpath.txt" ]; then tr ':' '\n' < "$m/target/classpath.txt" \
        | while read -r jar; do [ -f "$jar" ] && cp -n "$jar" /out/lib/ ; done ; fi ; \
    done \
 && rm -f /out/lib/memescope-infra-*.jar

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 memescope \
 && useradd --system --uid 10001 --gid memescope --home-dir /var/lib/memescope memescope
COPY --from=build /out/lib /opt/memescope/lib
# The random-weight test model, for a smoke test; real models come from the volume at /models.
COPY models/tiny /opt/memescope/models/tiny
USER 10001
WORKDIR /var/lib/memescope
