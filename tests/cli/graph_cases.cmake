# Wrong layer graphs and augmentation for cli_case (2 and 4 ranks, one error line, run directory unchanged): the
# graph syntax of docs/model.md. Included at the end of tests/cli/CMakeLists.txt.
set(T train -q -c good.yaml)
cli_case(graph_unknown_input "error: --set: model.layers\\[1\\]: inputs name an unknown layer 'nope'"
  ${T} "--set" "model.layers=[{type: flatten}, {type: dense, units: 10, inputs: [nope]}]")
cli_case(graph_later_input "model.layers\\[0\\]: inputs name 'out', which is not an earlier layer in reach"
  ${T} "--set" "model.layers=[{type: flatten, inputs: [out]}, {type: dense, units: 10, name: out}]")
cli_case(graph_add_shapes
  "model.layers\\[2\\] \\(add\\): add needs inputs of one shape, got 'a' \\(4\\), 'f' \\(12\\)"
  ${T} "--set" "model.layers=[{type: flatten, name: f}, {type: dense, units: 4, name: a}, {type: add, inputs: [a, f]}, {type: dense, units: 10}]")
cli_case(graph_unused_output
  "model.layers\\[1\\] \\(dense 'side'\\): its output is never used; only the last layer is the model's output"
  ${T} "--set" "model.layers=[{type: flatten, name: f}, {type: dense, units: 3, name: side}, {type: dense, units: 10, inputs: [f]}]")
cli_case(graph_two_inputs_to_a_layer
  "model.layers\\[1\\] \\(dense\\): takes one input, got inputs: \\[f, input\\] \\(merge them first with add or concat\\)"
  ${T} "--set" "model.layers=[{type: flatten, name: f}, {type: dense, units: 10, inputs: [f, input]}]")
cli_case(graph_block_repeat "model.layers\\[1\\] \\(block\\): repeat must be an integer in \\[1, 10000\\], got 'many'"
  ${T} "--set" "model.layers=[{type: flatten}, {type: block, repeat: many, layers: [{type: dense, units: 10}]}]")
cli_case(augment_not_images
  "error: config: data.augment.crop_padding = 0, data.augment.hflip = true: augmentation needs images \\(N, C, H, W\\), but the training features are \\(12\\) per sample"
  ${T} --set data.augment.hflip=true)
cli_case(augment_padding_range "error: --set: data.augment.crop_padding = -1 is out of range: must be >= 0"
  ${T} --set data.augment.crop_padding=-1)
