// Unit tests of actors/text: UTF-8 validation and Python str semantics.
//
// Every expected value below was computed with CPython 3.11 (the seed's
// runtime), e.g. python3 -c "print('ß'.upper().encode())", and is written
// as literal UTF-8 bytes so that the source encoding cannot interfere.

#include "core/text.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using tenantd::text::find_invalid_utf8;
using tenantd::text::lower;
using tenantd::text::replace_invalid_utf8;
using tenantd::text::reverse;
using tenantd::text::strip;
using tenantd::text::upper;

// -- find_invalid_utf8 ------------------------------------------------------

TEST(FindInvalidUtf8, EmptyAndAsciiAreValid) {
  EXPECT_EQ(find_invalid_utf8(""), std::nullopt);
  EXPECT_EQ(find_invalid_utf8("hello, world {}"), std::nullopt);
  // NUL is a valid code point.
  EXPECT_EQ(find_invalid_utf8("a\0b"sv), std::nullopt);
}

TEST(FindInvalidUtf8, WellFormedMultiByteSequencesAreValid) {
  EXPECT_EQ(find_invalid_utf8("\xc3\xa9"), std::nullopt);         // U+00E9
  EXPECT_EQ(find_invalid_utf8("\xe6\x97\xa5"), std::nullopt);     // U+65E5
  EXPECT_EQ(find_invalid_utf8("\xf0\x9f\x98\x80"), std::nullopt); // U+1F600
  EXPECT_EQ(find_invalid_utf8("\xf4\x8f\xbf\xbf"), std::nullopt); // U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\xed\x9f\xbf"), std::nullopt);     // U+D7FF
  EXPECT_EQ(find_invalid_utf8("\xee\x80\x80"), std::nullopt);     // U+E000
}

TEST(FindInvalidUtf8, OverlongEncodingsAreInvalid) {
  EXPECT_EQ(find_invalid_utf8("\xc0\x80"), 0u);         // overlong U+0000
  EXPECT_EQ(find_invalid_utf8("\xc1\xbf"), 0u);         // overlong U+007F
  EXPECT_EQ(find_invalid_utf8("\xe0\x80\xaf"), 0u);     // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xf0\x8f\xbf\xbf"), 0u); // overlong U+FFFF
}

TEST(FindInvalidUtf8, SurrogatesAreInvalid) {
  EXPECT_EQ(find_invalid_utf8("\xed\xa0\x80"), 0u); // U+D800
  EXPECT_EQ(find_invalid_utf8("\xed\xbf\xbf"), 0u); // U+DFFF
  // A CESU-8 style surrogate pair for U+1F600.
  EXPECT_EQ(find_invalid_utf8("\xed\xa0\xbd\xed\xb8\x80"), 0u);
}

TEST(FindInvalidUtf8, CodePointsAboveU10FFFFAreInvalid) {
  EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0u); // U+110000
  EXPECT_EQ(find_invalid_utf8("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("\xff"), 0u);
  EXPECT_EQ(find_invalid_utf8("\xfe"), 0u);
}

TEST(FindInvalidUtf8, TruncatedSequenceAtEndIsReportedAtItsLeadByte) {
  EXPECT_EQ(find_invalid_utf8("abc\xc3"), 3u);
  EXPECT_EQ(find_invalid_utf8("abc\xe6\x97"), 3u);
  EXPECT_EQ(find_invalid_utf8("ab\xf0\x9f\x98"), 2u);
}

TEST(FindInvalidUtf8, TruncatedSequenceFollowedByAsciiIsInvalid) {
  EXPECT_EQ(find_invalid_utf8("x\xe6\x97y"), 1u);
}

TEST(FindInvalidUtf8, StrayContinuationByteIsInvalid) {
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("ok\xbf"), 2u);
  // A continuation byte after a complete two-byte sequence.
  EXPECT_EQ(find_invalid_utf8("\xc3\xa9\xa9"), 2u);
}

TEST(FindInvalidUtf8, ReportsTheFirstBadOffsetAfterValidMultiByteText) {
  // "é日😀" is 2 + 3 + 4 = 9 bytes, then an overlong sequence, then more junk.
  std::string s = "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\xc0\x80\xff";
  EXPECT_EQ(find_invalid_utf8(s), 9u);
}

// -- replace_invalid_utf8 ---------------------------------------------------

TEST(ReplaceInvalidUtf8, ValidTextIsKept) {
  EXPECT_EQ(replace_invalid_utf8(""), "");
  EXPECT_EQ(replace_invalid_utf8("ok \xc3\xa9 \xf0\x9f\x98\x80"),
            "ok \xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(ReplaceInvalidUtf8, EachMaximalInvalidPartBecomesOneReplacementLikePython) {
  EXPECT_EQ(replace_invalid_utf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(replace_invalid_utf8("\xe2\x82" "A"), "\xef\xbf\xbd" "A");
  EXPECT_EQ(replace_invalid_utf8("\xf0\x9f\x98"), "\xef\xbf\xbd");
  EXPECT_EQ(replace_invalid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(replace_invalid_utf8("\xed\xa0\x80"), // a surrogate
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

// -- strip (Python str.strip()) ----------------------------------------------

TEST(Strip, RemovesAsciiWhitespaceOnBothEnds) {
  EXPECT_EQ(strip(" \t\n\r\x0b\x0chello world\x0c\x0b\r\n\t "), "hello world");
}

TEST(Strip, KeepsInnerWhitespace) {
  EXPECT_EQ(strip("  a \t b  "), "a \t b");
}

TEST(Strip, EmptyAndAllWhitespaceGiveEmpty) {
  EXPECT_EQ(strip(""), "");
  EXPECT_EQ(strip(" \t\n"), "");
  // U+3000 U+00A0 U+2003: all str.isspace() in Python.
  EXPECT_EQ(strip("\xe3\x80\x80\xc2\xa0\xe2\x80\x83"), "");
}

TEST(Strip, RemovesUnicodeWhitespace) {
  // Python: '\xa0\u2003\u3000x\u3000\u2003\xa0'.strip() == 'x'
  EXPECT_EQ(strip("\xc2\xa0\xe2\x80\x83\xe3\x80\x80x\xe3\x80\x80\xe2\x80\x83\xc2\xa0"),
            "x");
  // U+0085 NEL, U+1680, U+2028, U+2029, U+202F, U+205F
  EXPECT_EQ(strip("\xc2\x85\xe1\x9a\x80\xe2\x80\xa8y\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\x9f"),
            "y");
}

TEST(Strip, RemovesEveryPythonWhitespaceCodePoint) {
  // The full list of code points with str.isspace() in Python 3.11:
  // [c for c in range(0x110000) if chr(c).isspace()]
  const char* spaces[] = {
    "\x09", "\x0a", "\x0b", "\x0c", "\x0d", "\x1c", "\x1d", "\x1e",
    "\x1f", "\x20", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80",
    "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82", "\xe2\x80\x83",
    "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
    "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8",
    "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80",
  };
  for (auto sp : spaces) {
    auto s = std::string{sp} + "m" + sp;
    EXPECT_EQ(strip(s), "m") << "space bytes: " << ::testing::PrintToString(sp);
  }
}

TEST(Strip, InformationSeparatorsU001CToU001FAreWhitespace) {
  // Python: '\x1c\x1dz\x1e\x1f'.strip() == 'z' (unlike C's isspace()).
  EXPECT_EQ(strip("\x1c\x1dz\x1e\x1f"), "z");
}

TEST(Strip, ZeroWidthSpaceIsNotWhitespace) {
  // Python: '\u200bx\u200b'.strip() == '\u200bx\u200b'
  EXPECT_EQ(strip("\xe2\x80\x8bx\xe2\x80\x8b"), "\xe2\x80\x8bx\xe2\x80\x8b");
}

TEST(Strip, MongolianVowelSeparatorIsNotWhitespace) {
  // U+180E stopped being whitespace in Unicode 6.3; Python 3.11 agrees.
  EXPECT_EQ(strip("\xe1\xa0\x8ex\xe1\xa0\x8e"), "\xe1\xa0\x8ex\xe1\xa0\x8e");
}

TEST(Strip, OtherInvisibleCharactersAreNotWhitespace) {
  // U+FEFF (BOM / ZWNBSP) and U+2060 (word joiner): not isspace().
  EXPECT_EQ(strip("\xef\xbb\xbfx\xe2\x81\xa0"), "\xef\xbb\xbfx\xe2\x81\xa0");
}

TEST(Strip, StopsAtMultiByteNonSpaceNeighbours) {
  // Python: ' é日 '.strip() == 'é日'; the trailing step must not split a
  // multi-byte sequence.
  EXPECT_EQ(strip(" \xc3\xa9\xe6\x97\xa5 "), "\xc3\xa9\xe6\x97\xa5");
  EXPECT_EQ(strip("\xe3\x80\x80\xf0\x9f\x98\x80\xe3\x80\x80"), "\xf0\x9f\x98\x80");
}

TEST(Strip, ReturnsAViewIntoTheInput) {
  std::string s = "  abc  ";
  auto v = strip(s);
  EXPECT_EQ(v.data(), s.data() + 2);
  EXPECT_EQ(v.size(), 3u);
}

// -- reverse (Python s[::-1]) ------------------------------------------------

TEST(Reverse, EmptyAndSingleCharacter) {
  EXPECT_EQ(reverse(""), "");
  EXPECT_EQ(reverse("a"), "a");
}

TEST(Reverse, Ascii) {
  EXPECT_EQ(reverse("hello from acme"), "emca morf olleh");
}

TEST(Reverse, KeepsMultiByteSequencesIntact) {
  // Python: 'héllo'[::-1] == 'olléh'
  EXPECT_EQ(reverse("h\xc3\xa9llo"), "oll\xc3\xa9h");
  // Python: '日本'[::-1] == '本日'
  EXPECT_EQ(reverse("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x9c\xac\xe6\x97\xa5");
}

TEST(Reverse, KeepsFourByteEmojiIntact) {
  // Python: 'a😀b'[::-1] == 'b😀a'
  EXPECT_EQ(reverse("a\xf0\x9f\x98\x80" "b"), "b\xf0\x9f\x98\x80" "a");
  EXPECT_EQ(reverse("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
}

TEST(Reverse, SplitsEmojiModifierSequencesByCodePointLikePython) {
  // Python: '👍🏽'[::-1] == '🏽👍' (skin tone modifier first).
  EXPECT_EQ(reverse("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"),
            "\xf0\x9f\x8f\xbd\xf0\x9f\x91\x8d");
}

TEST(Reverse, MovesCombiningMarksLikePython) {
  // Python: 'e\u0301'[::-1] == '\u0301e' (the accent now leads).
  EXPECT_EQ(reverse("e\xcc\x81"), "\xcc\x81" "e");
  // Python: 'é\u0301x'[::-1] == 'x\u0301é'
  EXPECT_EQ(reverse("\xc3\xa9\xcc\x81x"), "x\xcc\x81\xc3\xa9");
}

TEST(Reverse, IsAnInvolution) {
  std::string s = "a\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80z\xcc\x81";
  EXPECT_EQ(reverse(reverse(s)), s);
}

// -- upper (Python str.upper()) ----------------------------------------------

TEST(Upper, AsciiAndAlreadyUpper) {
  EXPECT_EQ(upper("hello from globex"), "HELLO FROM GLOBEX");
  EXPECT_EQ(upper("ABC 123 !?"), "ABC 123 !?");
  EXPECT_EQ(upper(""), "");
}

TEST(Upper, SharpSExpandsToSS) {
  EXPECT_EQ(upper("\xc3\x9f"), "SS");                 // 'ß'.upper()
  EXPECT_EQ(upper("stra\xc3\x9f" "e"), "STRASSE");    // 'straße'.upper()
  // Capital sharp s (U+1E9E) is already upper case.
  EXPECT_EQ(upper("\xe1\xba\x9e"), "\xe1\xba\x9e");
}

TEST(Upper, LigaturesExpand) {
  EXPECT_EQ(upper("\xef\xac\x81"), "FI");   // 'ﬁ'.upper() == 'FI'
  EXPECT_EQ(upper("\xef\xac\x83"), "FFI");  // 'ﬃ'.upper() == 'FFI'
}

TEST(Upper, NApostropheExpands) {
  // 'ŉ'.upper() == 'ʼN' (U+02BC U+004E)
  EXPECT_EQ(upper("\xc5\x89"), "\xca\xbcN");
}

TEST(Upper, Greek) {
  // 'αβγ ΐ ᾳ'.upper() == 'ΑΒΓ Ϊ́ ΑΙ': ΐ expands to three code points and
  // the iota subscript becomes a capital iota (no Greek-locale accent removal).
  EXPECT_EQ(upper("\xce\xb1\xce\xb2\xce\xb3 \xce\x90 \xe1\xbe\xb3"),
            "\xce\x91\xce\x92\xce\x93 \xce\x99\xcc\x88\xcc\x81 \xce\x91\xce\x99");
}

TEST(Upper, TurkishDotlessAndDottedIWithoutLocale) {
  EXPECT_EQ(upper("\xc4\xb1"), "I"); // 'ı'.upper() == 'I'
  EXPECT_EQ(upper("i"), "I");        // not 'İ': no Turkish locale
}

TEST(Upper, Cyrillic) {
  // 'привет'.upper() == 'ПРИВЕТ'
  EXPECT_EQ(upper("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"),
            "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2");
}

TEST(Upper, MixedTextKeepsNonLetters) {
  // 'MiXeD ünïcödé 123 😀'.upper() == 'MIXED ÜNÏCÖDÉ 123 😀'
  EXPECT_EQ(upper("MiXeD \xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 123 \xf0\x9f\x98\x80"),
            "MIXED \xc3\x9cN\xc3\x8f" "C\xc3\x96" "D\xc3\x89 123 \xf0\x9f\x98\x80");
}

TEST(Upper, TitlecaseDigraphBecomesUppercase) {
  EXPECT_EQ(upper("\xc7\x86"), "\xc7\x84"); // 'ǆ'.upper() == 'Ǆ'
}

TEST(Upper, GrowsBeyondTheInitialBufferGuess) {
  // 'ΐ' (2 bytes) becomes 6 bytes: more than the 1.5x + 8 first guess.
  std::string s, expected;
  for (int i = 0; i < 100; ++i) {
    s += "\xce\x90";
    expected += "\xce\x99\xcc\x88\xcc\x81";
  }
  EXPECT_EQ(upper(s), expected);
}

// -- lower (Python str.lower()) ----------------------------------------------

TEST(Lower, AsciiAndAlreadyLower) {
  EXPECT_EQ(lower("Hello WORLD 42"), "hello world 42");
  EXPECT_EQ(lower("abc"), "abc");
  EXPECT_EQ(lower(""), "");
}

TEST(Lower, CapitalIWithDotAboveKeepsTheDot) {
  // 'İ'.lower() == 'i\u0307'
  EXPECT_EQ(lower("\xc4\xb0"), "i\xcc\x87");
  EXPECT_EQ(lower("I"), "i"); // not 'ı': no Turkish locale
}

TEST(Lower, FinalSigma) {
  // 'ΟΔΟΣ'.lower() == 'οδος' (final ς)
  EXPECT_EQ(lower("\xce\x9f\xce\x94\xce\x9f\xce\xa3"),
            "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");
  // 'ΟΔΟΣ ΟΔΟΣ.'.lower() == 'οδος οδος.'
  EXPECT_EQ(lower("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\x9f\xce\x94\xce\x9f\xce\xa3."),
            "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xce\xbf\xce\xb4\xce\xbf\xcf\x82.");
  // 'ΑΣ1'.lower() == 'ας1': a digit is not cased, so the sigma is final.
  EXPECT_EQ(lower("\xce\x91\xce\xa3" "1"), "\xce\xb1\xcf\x82" "1");
}

TEST(Lower, NonFinalSigma) {
  EXPECT_EQ(lower("\xce\xa3"), "\xcf\x83");                          // 'Σ' -> 'σ'
  EXPECT_EQ(lower("\xce\x91\xce\xa3\xce\x91"), "\xce\xb1\xcf\x83\xce\xb1"); // 'ΑΣΑ' -> 'ασα'
}

TEST(Lower, LatinCyrillicAndCapitalSharpS) {
  EXPECT_EQ(lower("\xc3\x80\xc3\x89\xc3\x8e"), "\xc3\xa0\xc3\xa9\xc3\xae"); // 'ÀÉÎ'
  EXPECT_EQ(lower("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2"),
            "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");           // 'ПРИВЕТ'
  EXPECT_EQ(lower("\xe1\xba\x9e"), "\xc3\x9f");                             // 'ẞ' -> 'ß'
  EXPECT_EQ(lower("\xc7\x85"), "\xc7\x86");                                 // 'ǅ' -> 'ǆ'
}

TEST(JsonEscapedSize, CountsWhatTheJsonWriterWrites) {
  EXPECT_EQ(tenantd::text::json_escaped_size(""), 0u);
  EXPECT_EQ(tenantd::text::json_escaped_size("abc"), 3u);
  EXPECT_EQ(tenantd::text::json_escaped_size("a\"b\\c"), 7u);
  EXPECT_EQ(tenantd::text::json_escaped_size("\n\r\t\b\f"), 10u);
  EXPECT_EQ(tenantd::text::json_escaped_size(std::string(1, '\x01')), 6u);
  EXPECT_EQ(tenantd::text::json_escaped_size("\x1f\x7f"), 7u); // DEL as is
  EXPECT_EQ(tenantd::text::json_escaped_size("\xc3\xa9"), 2u);   // é as is
}

} // namespace
