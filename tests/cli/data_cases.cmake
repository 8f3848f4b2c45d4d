# Wrong data through the real executable: each case names the file, the dataset and the row,
# column or value (NaN/Inf features, a label beyond int32, a truncated file, a missing filter,
# dangling links, a data file as --model) or the bytes a block needs and the option that helps.
# Included at the end of tests/cli/CMakeLists.txt; the files come from make_bad_data.cpp.
add_executable(make_bad_data make_bad_data.cpp)
target_link_libraries(make_bad_data PRIVATE HDF5::HDF5 MPI::MPI_C)
target_include_directories(make_bad_data PRIVATE ${PROJECT_SOURCE_DIR}/tests)
add_test(NAME cli_make_bad_data COMMAND make_bad_data ${CLI_DIR})
set_tests_properties(cli_make_bad_data PROPERTIES FIXTURES_SETUP cli_bad_data TIMEOUT 60
                     ENVIRONMENT "${DPTRAIN_MPI_ENV}")

# data_case(NAME REGEX ARGS...): cli_case on the bad files (and good.yaml / hand_model.h5 of cli_data).
function(data_case name regex)
  set(CLI_CASE_FIXTURES cli_bad_data)
  cli_case(${name} "${regex}" ${ARGN})
endfunction()

set(T train -q -c good.yaml)
set(HAND --model hand_model.h5 --data nan_hand.h5 --features /x --labels /y)
set(FINITE "features must be finite \\(as float32\\)")
data_case(nan_train_features
  "error: nan_train.h5: '/train/x' \\(data.train_features\\) row 37 column 5 has value nan; ${FINITE}"
  ${T} --set data.file=nan_train.h5)
data_case(nan_train_features_streaming
  "error: nan_train.h5: '/train/x' \\(data.train_features\\) row 37 column 5 has value nan; ${FINITE}"
  ${T} --set data.file=nan_train.h5 --set data.memory_budget=1MiB --out @RUN@-nan)
# (streaming finds it when the block is read, i.e. while training: a fresh --out, not the finished run)
data_case(inf_test_features
  "error: inf_test.h5: '/test/x' \\(data.test_features\\) row 20 column 3 has value inf; ${FINITE}"
  ${T} --set data.file=inf_test.h5)
data_case(nan_evaluate_features "error: nan_hand.h5: '/x' \\(--features\\) row 7 column 1 has value nan; ${FINITE}"
  evaluate ${HAND})
data_case(nan_predict_features "error: nan_hand.h5: '/x' \\(--features\\) row 7 column 1 has value nan; ${FINITE}"
  predict ${HAND} --out nan_pred.csv)
data_case(label_beyond_int32
  "error: biglabel.h5: '/train/y' \\(data.train_labels\\) row 9 has label 8589934593, outside \\[0, 4\\)"
  ${T} --set data.file=biglabel.h5)
data_case(truncated_file
  "error: truncated.h5: truncated file: [0-9]+ bytes on disk, but the file's superblock says it ends at byte [0-9]+"
  ${T} --set data.file=truncated.h5)
data_case(missing_filter
  "error: lzf.h5: dataset '/train/x' \\(data.train_features\\) is compressed with HDF5 filter 32000 'lzf', which this HDF5 library does not have; .*HDF5_PLUGIN_PATH.*h5repack -f GZIP=4 lzf.h5 out.h5"
  ${T} --set data.file=lzf.h5)
# No lzf plugin, whatever this machine has installed.
foreach(np 2 4)
  set_property(TEST cli_missing_filter_np${np} APPEND PROPERTY ENVIRONMENT "HDF5_PLUGIN_PATH=${CLI_DIR}/no_plugins")
endforeach()
data_case(dangling_soft_link
  "error: dangling.h5: dataset '/train/x' \\(data.train_features\\): '/train/x' is a soft link to '/nowhere/x', which does not exist"
  ${T} --set data.file=dangling.h5)
data_case(dangling_external_link
  "error: extlink.h5: dataset '/train/x' \\(data.train_features\\): '/train/x' is an external link to '/train/x' in file 'gone.h5', which cannot be opened"
  ${T} --set data.file=extlink.h5)
data_case(data_file_as_model "error: biglabel.h5: not a dptrain model file" evaluate --model biglabel.h5)
data_case(data_file_as_model_predict "error: biglabel.h5: not a dptrain model file"
  predict --model biglabel.h5 --out p.csv)
# Memory: a declared 10^9 x 784 training set cannot be held in memory (no env needed: it exceeds any
# machine); streaming buffers over the (test-set) available memory; an evaluation batch too large.
data_case(memory_train_block
  "error: huge.h5: '/train/x' \\(data.train_features\\) rows [0-9]+\\.\\.[0-9]+ held in memory \\(with their exchange buffers\\) need [0-9]+ bytes \\([0-9.]+ [KMGT]iB\\) on this rank.* are available \\(MemAvailable .*\\); set data.memory_budget"
  ${T} --set data.file=huge.h5)
data_case(memory_stream_buffers
  "error: config: data.memory_budget = 256MiB: the streaming buffers need [0-9]+ bytes .* on this rank.* but [0-9]+ bytes .* are available \\(DPTRAIN_TEST_MEMAVAILABLE .* / [24] ranks on this node\\); lower data.memory_budget"
  ${T} --set data.file=wide.h5 --set data.memory_budget=256MiB)
foreach(np 2 4)
  set_property(TEST cli_memory_stream_buffers_np${np} APPEND PROPERTY ENVIRONMENT "DPTRAIN_TEST_MEMAVAILABLE=200000000")
endforeach()
data_case(memory_eval_batch
  "error: hand_model.h5: batches of --batch 1000000000000 samples \\([0-9]+ floats each in the network\\) need [0-9]+ bytes .*; lower --batch"
  evaluate --model hand_model.h5 --data nan_hand.h5 --features /x --labels /y --batch 1000000000000)
