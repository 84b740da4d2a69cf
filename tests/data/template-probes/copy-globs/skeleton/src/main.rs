name: ${{ values.name }}
ref: ${{ github.ref }} event: ${{ github.event_name }}
version: ${{ steps.build.outputs.version }}
os: ${{ matrix.os }}
