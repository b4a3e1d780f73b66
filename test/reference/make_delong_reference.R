#!/usr/bin/env Rscript
# Reference numbers for src/monitoring/stats/delong.ts from R's pROC
# (Debian r-cran-proc): roc.test(method = "delong"), unpaired (two A/B
# variants on different requests) and paired (two models on the same cases).
# Run from the repository root:
#   Rscript test/reference/make_delong_reference.R > test/reference/delong.json
# Tests read the JSON, never R.
suppressMessages(library(pROC))
suppressMessages(library(jsonlite))

rocOf <- function(y, s) roc(y, s, quiet = TRUE, direction = "<", levels = c(0, 1))

unpaired <- function(name, y1, s1, y2, s2) {
  r1 <- rocOf(y1, s1); r2 <- rocOf(y2, s2)
  t <- roc.test(r1, r2, method = "delong", paired = FALSE)
  se <- sqrt(var(r1, method = "delong") + var(r2, method = "delong"))
  d <- as.numeric(r1$auc) - as.numeric(r2$auc)
  half <- qt(0.975, t$parameter) * se
  list(name = name, paired = FALSE, labels1 = y1, scores1 = s1, labels2 = y2, scores2 = s2,
       auc1 = as.numeric(r1$auc), auc2 = as.numeric(r2$auc), statistic = unname(t$statistic),
       df = unname(t$parameter), p_value = t$p.value, ci = c(d - half, d + half))
}

paired <- function(name, y, s1, s2) {
  r1 <- rocOf(y, s1); r2 <- rocOf(y, s2)
  t <- roc.test(r1, r2, method = "delong", paired = TRUE)
  list(name = name, paired = TRUE, labels = y, scores1 = s1, scores2 = s2,
       auc1 = as.numeric(r1$auc), auc2 = as.numeric(r2$auc), statistic = unname(t$statistic),
       p_value = t$p.value, ci = as.numeric(t$conf.int))
}

set.seed(20261201)
cases <- list()
y1 <- rbinom(300, 1, 0.4); y2 <- rbinom(250, 1, 0.3)
cases[[1]] <- unpaired("unpaired, continuous scores", y1, y1 * 0.9 + rnorm(300), y2, y2 * 0.6 + rnorm(250))
y1 <- rbinom(120, 1, 0.5); y2 <- rbinom(90, 1, 0.5)
cases[[2]] <- unpaired("unpaired, heavily tied scores", y1, round(y1 + rnorm(120), 0), y2, round(y2 * 0.5 + rnorm(90), 1))
y1 <- rbinom(400, 1, 0.2); y2 <- rbinom(400, 1, 0.2)
s <- rnorm(400)
cases[[3]] <- unpaired("unpaired, nearly equal curves", y1, y1 * 0.7 + rnorm(400), y2, y2 * 0.7 + rnorm(400))
y <- rbinom(200, 1, 0.4)
z <- rnorm(200)
cases[[4]] <- paired("paired, correlated models", y, y * 0.8 + z + rnorm(200, sd = 0.3), y * 0.5 + z + rnorm(200, sd = 0.3))
y <- rbinom(150, 1, 0.5)
cases[[5]] <- paired("paired, tied scores", y, round(y + rnorm(150), 0), round(y * 0.6 + rnorm(150), 0))

# loan_default_xgb: the test rows as traffic, even rows to variant "a", odd
# rows to variant "b", scored by the fixture model (expected.json's p1 are
# onnxruntime's float32 scores). Labels as in the test CSV; for variant "b"
# every fiftieth of its rows has its label flipped, so the two AUCs differ.
test <- read.csv("test/fixtures/loan_default_xgb.test.csv")
p1 <- fromJSON("test/fixtures/loan_default_xgb.expected.json")$p1
idx <- seq_along(p1) - 1
a <- idx %% 2 == 0
yb <- test$label[!a]
flip <- (seq_along(yb) - 1) %% 50 == 0
yb[flip] <- 1 - yb[flip]
loan <- unpaired("loan_default_xgb variants", test$label[a], p1[a], yb, p1[!a])
loan$labels1 <- NULL; loan$scores1 <- NULL; loan$labels2 <- NULL; loan$scores2 <- NULL
loan$rule <- "variant a: even test rows, true labels; variant b: odd test rows, label flipped on every fiftieth of them (b-index % 50 == 0)"

out <- list(generated_by = "test/reference/make_delong_reference.R",
            versions = list(R = R.version.string, pROC = as.character(packageVersion("pROC"))),
            cases = cases, loan_default = loan)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = FALSE), "\n")
