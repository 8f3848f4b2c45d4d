// The progress display: plain periodic lines when its stream is not a terminal (a file, a pipe:
// CI and Slurm logs), one rewritten line on a terminal (a pseudo-terminal here), nothing when off.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "train/progress.hpp"

namespace dpt {
namespace {

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
  return s;
}

TEST(Progress, PlainPeriodicLinesWhenNotATerminal) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p(true, 0.5, 3, 5, f);
  p.update(0, 0, 2.0, 100, 10);  // before the first interval: nothing
  sleep_s(0.6);
  p.update(0, 1, 0.5, 1234.4, 7);
  p.update(0, 2, 0.4, 1234, 6);  // within the interval: nothing
  sleep_s(0.6);
  p.update(1, 4, 0.25, 2000, 3725);
  p.finish_line();  // no terminal line to end: nothing
  EXPECT_EQ(contents(f),
            "[rank 0] progress: epoch 1/3 step 2/5 loss 0.5000 1234 samples/s ETA 0:07\n"
            "[rank 0] progress: epoch 2/3 step 5/5 loss 0.2500 2000 samples/s ETA 1:02:05\n");
  std::fclose(f);
}

TEST(Progress, RewritesOneLineOnATerminal) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  std::FILE* tty = fdopen(slave, "w");
  ASSERT_TRUE(isatty(fileno(tty)));
  Progress p(true, 60, 2, 10, tty);  // the interval is for files only: a terminal updates 4 times a second
  sleep_s(0.3);
  p.update(0, 3, 1.5, 500, 12);
  p.finish_line();
  const std::string line = "epoch 1/2 step 4/10 loss 1.5000 500 samples/s ETA 0:12";
  const std::string want = "\r" + line + std::string(78 - line.size(), ' ') + "\r" + std::string(78, ' ') + "\r";
  fcntl(master, F_SETFL, O_NONBLOCK);
  std::string out;
  char buf[512];
  for (int tries = 0; out.size() < want.size() && tries < 200; ++tries) {  // up to 2 s for the pty to pass it on
    const ssize_t n = read(master, buf, sizeof buf);
    if (n > 0)
      out.append(buf, static_cast<size_t>(n));
    else
      sleep_s(0.01);
  }
  EXPECT_EQ(out, want);
  std::fclose(tty);
  close(master);
}

TEST(Progress, PrintsNothingWhenDisabled) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p(false, 0.01, 1, 1, f);
  sleep_s(0.03);
  p.update(0, 0, 1, 1, 1);
  p.finish_line();
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

}  // namespace
}  // namespace dpt
