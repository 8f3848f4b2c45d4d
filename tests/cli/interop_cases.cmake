# train.init_from and trainable: false, wrong inputs for cli_case (2 and 4 ranks, one error line, run
# directory unchanged; the state-dict files: init_files.hpp). Included at the end of tests/cli/CMakeLists.txt.
set(T train -q -c good.yaml)
cli_case(init_from_missing_file "error: noinit.h5: file not found" ${T} --set train.init_from=noinit.h5)
cli_case(init_from_not_hdf5 "error: notes.txt: not an HDF5 file" ${T} --set train.init_from=notes.txt)
cli_case(init_from_shape
  "error: init_shape.h5: train.init_from: tensor '/layers.0.weight' has shape \\(8, 10\\) but layers.0 \\(dense\\) needs \\(8, 12\\)"
  ${T} --set train.init_from=init_shape.h5)
cli_case(init_from_missing_tensor
  "error: init_missing.h5: train.init_from: tensor 'layers.2.bias' not found \\(looked for /layers.2.bias, /state_dict/layers.2.bias, /params/layers.2.bias\\); layers.2 \\(dense\\) needs it with shape \\(4\\)"
  ${T} --set train.init_from=init_missing.h5)
cli_case(trainable_not_bool "model.layers\\[0\\]: trainable must be true or false, got 'maybe'"
  ${T} "--set" "model.layers=[{type: dense, units: 8, trainable: maybe}, {type: relu}, {type: dense, units: 4}]")

# init_from and trainable: false through the executable, without PyTorch: a state-dict file (root
# or /state_dict group, float32 or float64) is what the run starts from, frozen layers end as they
# started, trained ones move; a model.h5 initializes another run.
add_test(NAME cli_init_from_frozen
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/init_from.sh ${MPIEXEC_EXECUTABLE} $<TARGET_FILE:dptrain>
         WORKING_DIRECTORY ${CLI_DIR})
set_tests_properties(cli_init_from_frozen PROPERTIES FIXTURES_REQUIRED cli_data TIMEOUT 180 PROCESSORS 2
                     ENVIRONMENT "${DPTRAIN_MPI_ENV}")

# dptrain export: wrong inputs fail before anything is written (hand_model.h5: make_cli_data).
cli_case(export_not_onnx_name "error: --out 'hand_model.h5': the ONNX file's name must end in .onnx"
  export --model hand_model.h5 --out hand_model.h5)
cli_case(export_missing_dir "error: nodir/m.onnx: output directory 'nodir' does not exist"
  export --model hand_model.h5 --out nodir/m.onnx)
cli_case(export_missing_model "error: nomodel.h5: file not found" export --model nomodel.h5 --out m.onnx)
cli_case(export_data_file_as_model "error: biglabel.h5: not a dptrain model file"
  export --model biglabel.h5 --out m.onnx)
cli_case(export_shape_mismatch "error: good.h5: samples '/test/x' are \\(12\\) but the model hand_model.h5 takes \\(3\\)"
  export --model hand_model.h5 --data good.h5 --features /test/x --labels /test/y --out m.onnx)
cli_case(export_missing_data "error: nofile.h5: file not found" export --model hand_model.h5 --data nofile.h5 --out m.onnx)

# train.init_from_match: position (PyTorch names, the file's order).
cli_case(init_position_unordered
  "error: init_good.h5: train.init_from_match: position needs the order of the tensors, and '/' does not keep it: write the file with h5py.File\\(path, \"w\", track_order=True\\)"
  ${T} --set train.init_from=init_good.h5 --set train.init_from_match=position)
cli_case(init_position_count
  "error: init_seq_short.h5: train.init_from \\(train.init_from_match: position\\): the file has 3 parameter tensors in '/', the model 4"
  ${T} --set train.init_from=init_seq_short.h5 --set train.init_from_match=position)
cli_case(init_position_shape
  "error: init_seq_swapped.h5: train.init_from \\(by position\\): parameter tensor 1 '/fc1.bias' has shape \\(8\\) but the model's layers.0.weight \\(dense\\) needs \\(8, 12\\)"
  ${T} --set train.init_from=init_seq_swapped.h5 --set train.init_from_match=position)
cli_case(init_match_choice "error: --set: train.init_from_match = 'order' is not valid: must be one of: name, position"
  ${T} --set train.init_from=init_seq.h5 --set train.init_from_match=order)
