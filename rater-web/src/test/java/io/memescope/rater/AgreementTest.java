package io.memescope.rater;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgreementTest {
  static final String A = "a".repeat(32);
  static final String B = "b".repeat(32);
  static final String C = "c".repeat(32);

  @Test
  void ratings_shown_the_other_way_round_are_turned_before_comparing() {
    // ann saw A|B and chose "left better"; bob saw B|A and chose "right better": both prefer A.
    var votes =
        List.of(
            List.of(
                new Agreement.Vote("ann", A, B, Map.of("u", -1)),
                new Agreement.Vote("bob", B, A, Map.of("u", 1))));
    Agreement.Dimension d = Agreement.of(List.of("u"), votes).get("u");
    assertThat(d.pairs()).isEqualTo(1);
    assertThat(d.sameSide()).isEqualTo(1.0);
    assertThat(d.exact()).isEqualTo(1.0);
  }

  @Test
  void shares_count_every_couple_of_raters_on_a_pair() {
    var votes =
        List.of(
            List.of( // three raters: couples (-2,-1) same side, (-2,1) no, (-1,1) no
                new Agreement.Vote("ann", A, B, Map.of("u", -2)),
                new Agreement.Vote("bob", A, B, Map.of("u", -1)),
                new Agreement.Vote("cy", A, B, Map.of("u", 1))),
            List.of( // exact agreement on a tie
                new Agreement.Vote("ann", A, C, Map.of("u", 0)),
                new Agreement.Vote("bob", A, C, Map.of("u", 0))),
            List.of(new Agreement.Vote("ann", B, C, Map.of("u", 2)))); // one rater: not counted
    Agreement.Dimension d = Agreement.of(List.of("u"), votes).get("u");
    assertThat(d.pairs()).isEqualTo(2);
    assertThat(d.sameSide()).isCloseTo(2 / 4.0, within(1e-9));
    assertThat(d.exact()).isCloseTo(1 / 4.0, within(1e-9));
  }

  @Test
  void krippendorffs_alpha_matches_a_hand_computed_case() {
    // Units {1,1}, {-1,-1}, {2,0}: n = 6 values. Observed disagreement: only the last unit,
    // (2-0)^2 * 2 ordered couples / (2-1) = 8, over n: 8/6. Expected over all 6*5 ordered
    // couples of the pooled values {1,1,-1,-1,2,0}: sum of squared differences = 88, so 88/30.
    // alpha = 1 - (8/6) / (88/30) = 1 - 5/11 = 6/11.
    Double alpha = Agreement.alpha(List.of(new int[] {1, 1}, new int[] {-1, -1}, new int[] {2, 0}));
    assertThat(alpha).isCloseTo(6 / 11.0, within(1e-9));
    assertThat(Agreement.alpha(List.of(new int[] {1, 1}, new int[] {-2, -2}))).isEqualTo(1.0);
    assertThat(Agreement.alpha(List.of(new int[] {0, 0}))).as("undefined").isNull();
  }

  @Test
  void no_shared_pairs_gives_nulls_not_zeros() {
    Agreement.Dimension d = Agreement.of(List.of("u"), List.of()).get("u");
    assertThat(d.pairs()).isZero();
    assertThat(d.sameSide()).isNull();
    assertThat(d.alpha()).isNull();
  }

  @Test
  void passwords_are_argon2id_and_verify_only_themselves() {
    String hash = Accounts.hash("correct horse battery");
    assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    assertThat(Accounts.verify("correct horse battery", hash)).isTrue();
    assertThat(Accounts.verify("correct horse batterY", hash)).isFalse();
    assertThat(Accounts.hash("correct horse battery")).as("salted").isNotEqualTo(hash);
    assertThat(Accounts.verify("x", "not a hash")).isFalse();
  }
}
