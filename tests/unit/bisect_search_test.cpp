// kreg bisect's search against hand-written verdict tables: every culprit
// position is found in at most ceil(log2) steps one at a time and in fewer
// rounds two at a time; skipped kernels are stepped around, and a culprit
// hidden behind skips is reported as undecided with the candidates; noisy
// (non-monotone) tables end and say what contradicts.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "harness/bisect/bisect_search.hpp"

namespace kreg {
namespace {

using V = StepVerdict;

// A table as a string, one letter per kernel: g good, b bad, s skip.
std::vector<V> table(const std::string& letters) {
  std::vector<V> out;
  for (char c : letters) out.push_back(c == 'g' ? V::Good : c == 'b' ? V::Bad : V::Skip);
  return out;
}

struct Walk {
  BisectSearch search;
  int steps = 0, rounds = 0;
  std::vector<std::vector<size_t>> asked;
};

// Runs the search the way kreg bisect does: endpoints known, then rounds of next(width).
Walk walk(const std::vector<V>& truth, int width) {
  Walk w{BisectSearch(truth.size())};
  w.search.record(0, truth.front());
  w.search.record(truth.size() - 1, truth.back());
  while (!w.search.done()) {
    std::vector<size_t> positions = w.search.next(width);
    EXPECT_FALSE(positions.empty());
    if (positions.empty()) break;
    w.asked.push_back(positions);
    for (size_t p : positions) w.search.record(p, truth.at(p));
    w.steps += static_cast<int>(positions.size());
    ++w.rounds;
  }
  return w;
}

TEST(BisectSearch, FindsEveryCulpritWithinLog2StepsOneAtATime) {
  for (size_t n = 2; n <= 40; ++n) {
    for (size_t culprit = 1; culprit < n; ++culprit) {
      std::string letters(culprit, 'g');
      letters += std::string(n - culprit, 'b');
      Walk w = walk(table(letters), 1);
      ASSERT_TRUE(w.search.found()) << letters;
      EXPECT_EQ(w.search.first_bad(), culprit) << letters;
      EXPECT_EQ(w.search.last_good(), culprit - 1) << letters;
      EXPECT_LE(w.steps, ceil_log2(n - 1)) << letters;
      EXPECT_TRUE(w.search.contradictions().empty());
    }
  }
}

TEST(BisectSearch, BothMidpointsAtOnceNeedFewerRounds) {
  for (size_t n = 3; n <= 40; ++n) {
    const int log3 = static_cast<int>(std::ceil(std::log(static_cast<double>(n - 1)) / std::log(3.0) - 1e-9));
    for (size_t culprit = 1; culprit < n; ++culprit) {
      std::string letters(culprit, 'g');
      letters += std::string(n - culprit, 'b');
      Walk w = walk(table(letters), 2);
      ASSERT_TRUE(w.search.found()) << letters;
      EXPECT_EQ(w.search.first_bad(), culprit) << letters;
      EXPECT_LE(w.rounds, log3) << letters;
    }
  }
}

TEST(BisectSearch, TwoMidpointsCutTheWindowInThirds) {
  // 11 kernels (0 good, 10 bad): culprit candidates 1..10; cuts at 10/3 and 20/3.
  BisectSearch s(11);
  s.record(0, V::Good);
  s.record(10, V::Bad);
  EXPECT_EQ(s.next(2), (std::vector<size_t>{3, 7}));
  EXPECT_EQ(s.next(1), (std::vector<size_t>{5}));
  s.record(3, V::Good);
  s.record(7, V::Bad);
  EXPECT_EQ(s.last_good(), 3u);
  EXPECT_EQ(s.first_bad(), 7u);
  EXPECT_EQ(s.untested(), (std::vector<size_t>{4, 5, 6}));
  EXPECT_EQ(s.next(2), (std::vector<size_t>{4, 6}));
  EXPECT_EQ(s.rounds_left(2), 2);  // 4 candidates (4..7): log3(4) -> 2 rounds
}

TEST(BisectSearch, SkipsAreSteppedAround) {
  // 6.1.0-style list of 11; position 5 (the natural midpoint) does not build.
  Walk w = walk(table("gggggsgbbbb"), 1);
  ASSERT_TRUE(w.search.found());
  EXPECT_EQ(w.search.first_bad(), 7u);
  EXPECT_EQ(w.asked.front(), (std::vector<size_t>{5}));
  EXPECT_EQ(w.asked.at(1), (std::vector<size_t>{4}));  // the neighbour below, the lower one on a tie
  // A skip below the culprit's last good does not matter; one between does.
  BisectSearch s(5);
  s.record(0, V::Good);
  s.record(4, V::Bad);
  s.record(2, V::Skip);
  EXPECT_EQ(s.next(1), (std::vector<size_t>{1}));
}

TEST(BisectSearch, CulpritBehindSkipsIsUndecidedWithItsCandidates) {
  Walk w = walk(table("gggssbbb"), 1);
  EXPECT_TRUE(w.search.done());
  EXPECT_FALSE(w.search.found());
  EXPECT_EQ(w.search.last_good(), 2u);
  EXPECT_EQ(w.search.first_bad(), 5u);
  EXPECT_EQ(w.search.skipped(), (std::vector<size_t>{3, 4}));
  // Everything inside skipped: nothing to measure, nothing found.
  Walk all = walk(table("gssssb"), 2);
  EXPECT_FALSE(all.search.found());
  EXPECT_EQ(all.search.skipped().size(), 4u);
}

TEST(BisectSearch, NoisyTableEndsAndSaysWhatContradicts) {
  // True culprit at 8; 3 measured bad by noise. One at a time the search
  // never asks 3 and finds 8.
  Walk one = walk(table("gggbggggbbb"), 1);
  ASSERT_TRUE(one.search.found());
  EXPECT_EQ(one.search.first_bad(), 8u);
  EXPECT_TRUE(one.search.contradictions().empty());
  // Two at a time it measures 3 (bad) and 7 (good) together: it follows the
  // lower change, as a first-regression search must, and reports that 7
  // contradicts it (the confirmation then re-measures 3).
  Walk two = walk(table("gggbggggbbb"), 2);
  ASSERT_TRUE(two.search.found());
  EXPECT_EQ(two.asked.front(), (std::vector<size_t>{3, 7}));
  EXPECT_EQ(two.search.first_bad(), 3u);
  ASSERT_EQ(two.search.contradictions().size(), 1u);
  EXPECT_EQ(two.search.contradictions().front(), (std::pair<size_t, size_t>{3, 7}));
}

TEST(BisectSearch, WidthSuitsTheHost) {
  EXPECT_EQ(best_width(1, 1, 10), 1);  // one VM at a time: plain bisection
  EXPECT_EQ(best_width(2, 1, 10), 2);  // two slots, one try each: both midpoints at once
  EXPECT_EQ(best_width(2, 3, 10), 2);  // 6 boots on 2 slots (3 lengths) beat 3 boots (2 lengths) per bit
  EXPECT_EQ(best_width(4, 1, 10), 4);
  EXPECT_EQ(best_width(2, 1, 1), 1);  // one candidate left
  EXPECT_EQ(ceil_log2(1), 0);
  EXPECT_EQ(ceil_log2(10), 4);
  EXPECT_EQ(ceil_log2(16), 4);
  EXPECT_EQ(ceil_log2(17), 5);
}

TEST(BisectSearch, VerdictTextRoundTrips) {
  for (V v : {V::Good, V::Bad, V::Skip}) EXPECT_EQ(verdict_from_text(verdict_text(v)), v);
  EXPECT_FALSE(verdict_from_text("maybe"));
  EXPECT_THROW(BisectSearch(1), std::invalid_argument);
}

}  // namespace
}  // namespace kreg
